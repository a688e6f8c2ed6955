// Team display: follow the run live (server-sent events) and show the elapsed time.
(function () {
  "use strict";
  var box = document.getElementById("display");
  if (!box) { return; }
  var status = document.getElementById("display-status");
  var elapsed = document.getElementById("elapsed");
  var started = new Date(box.getAttribute("data-started"));
  var seq = Number(box.getAttribute("data-seq"));
  var source = null;

  function tick() {
    if (isNaN(started.getTime())) { return; }
    var s = Math.max(0, Math.floor((Date.now() - started.getTime()) / 1000));
    var m = Math.floor(s / 60);
    elapsed.textContent = m + ":" + String(s % 60).padStart(2, "0");
  }

  function connect() {
    source = new EventSource(box.getAttribute("data-events") + "?seq=" + seq);
    source.addEventListener("step", function (event) {
      var data = JSON.parse(event.data);
      if (data.seq <= seq) { return; }
      seq = data.seq;
      box.innerHTML = data.html;
      box.setAttribute("data-seq", String(seq));
    });
    source.onopen = function () { status.textContent = "Live"; };
    source.onerror = function () {
      status.textContent = "Reconnecting…";
      source.close();
      window.setTimeout(connect, 1000);
    };
  }

  tick();
  window.setInterval(tick, 1000);
  connect();
})();
