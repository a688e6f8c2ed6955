// Step page and lists: the flowchart scrolled to the current step, times in the local zone.
(function () {
  "use strict";
  document.querySelectorAll(".flowchart").forEach(function (box) {
    var current = box.querySelector(".fc-current");
    if (!current) { return; }
    var b = box.getBoundingClientRect();
    var c = current.getBoundingClientRect();
    box.scrollLeft += (c.left + c.width / 2) - (b.left + b.width / 2);
    box.scrollTop += (c.top + c.height / 2) - (b.top + b.height / 2);
  });
  document.querySelectorAll("time.local-time").forEach(function (t) {
    var when = new Date(t.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    t.textContent = when.toLocaleString(undefined, {
      day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit"
    });
    t.title = when.toISOString();
  });
})();
