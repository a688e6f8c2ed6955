/* Calculator behaviour (no framework, no network): unit toggles and "unanswered: No".
 * Units: the number shown is converted when the unit changes, both ways, with the
 * factors the server printed (data-per = units per canonical unit); the server
 * converts again from the unit posted, so the page works without this script too. */
(function () {
  "use strict";

  function tidy(x) {
    return String(parseFloat(x.toPrecision(4)));
  }

  function onUnitChange(radio) {
    var field = document.getElementById(radio.dataset.for);
    if (!field) return;
    var group = document.querySelectorAll('input[name="' + radio.name + '"]');
    var previous = parseFloat(field.dataset.per || group[0].dataset.per);
    var next = parseFloat(radio.dataset.per);
    var value = parseFloat(field.value.replace(",", "."));
    if (!isNaN(value) && previous > 0) {
      field.value = tidy((value / previous) * next);
    }
    field.dataset.per = radio.dataset.per;
    var lo = parseFloat(field.dataset.min), hi = parseFloat(field.dataset.max);
    var hint = field.closest(".num-field").querySelector(".hint");
    if (hint && !isNaN(lo) && !isNaN(hi)) {
      hint.textContent = tidy(lo * next) + " to " + tidy(hi * next) + " " + radio.value;
    }
  }

  function restNo(button) {
    var form = button.closest("form");
    var names = {};
    form.querySelectorAll("input[data-yesno]").forEach(function (input) {
      names[input.name] = names[input.name] || input.checked;
    });
    Object.keys(names).forEach(function (name) {
      if (!names[name]) {
        var no = form.querySelector('input[name="' + name + '"][value="false"]');
        if (no) no.checked = true;
      }
    });
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".unit-input:checked").forEach(function (radio) {
      var field = document.getElementById(radio.dataset.for);
      if (field) field.dataset.per = radio.dataset.per;
    });
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList && target.classList.contains("unit-input")) onUnitChange(target);
  }, true);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-rest-no]");
    if (button) restNo(button);
  });
})();
