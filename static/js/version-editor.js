// The version editor in admin: leaving the page, or pressing "Publish…", with edits not
// yet saved asks first (what is published is the saved draft, never the unsaved one).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("version_form");
    if (!form) { return; }
    var unsaved = false;
    form.addEventListener("input", function () { unsaved = true; });
    form.addEventListener("submit", function () { unsaved = false; });
    window.addEventListener("beforeunload", function (event) {
      if (unsaved) { event.preventDefault(); event.returnValue = ""; }
    });
    document.querySelectorAll("a.publish-link").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (unsaved && !window.confirm(link.getAttribute("data-unsaved"))) {
          event.preventDefault();
          return;
        }
        unsaved = false;
      });
    });
  });
}());
