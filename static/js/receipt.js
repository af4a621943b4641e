// The receipt's print button (shown only when scripts run), and its technical details
// opened for printing so that the paper copy holds the hashes too.
(function () {
  "use strict";
  var action = document.querySelector(".print-action");
  if (action) {
    action.hidden = false;
    action.querySelector("[data-print]").addEventListener("click", function () { window.print(); });
  }
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.technical").forEach(function (d) { d.open = true; });
  });
}());
