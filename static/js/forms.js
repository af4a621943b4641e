// A form shown again with errors: focus moves to the summary, which names each problem
// and links to its field (GOV.UK's error summary), so a screen reader announces it.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
}());
