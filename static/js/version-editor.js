// The version editor in admin: leaving the page, or pressing "Publish…", with edits not
// yet saved asks first (what is published is the saved draft, never the unsaved one);
// and the preview beside the text follows the clause or section being edited.
(function () {
  "use strict";
  var CLAUSE = /^(\d+(?:\.\d+)+)\.\s/;
  var SECTION = /^##\s+(\d+)\.\s/;

  function anchorAt(text, caret) {
    // The clause (or section) whose paragraph holds the caret: the nearest one above it.
    var lines = text.slice(0, caret).split("\n");
    for (var i = lines.length - 1; i >= 0; i -= 1) {
      var clause = CLAUSE.exec(lines[i]);
      if (clause) { return "clause-" + clause[1].replace(/\./g, "-"); }
      var section = SECTION.exec(lines[i]);
      if (section) { return "section-" + section[1]; }
    }
    return null;
  }

  function follow(textarea, preview) {
    var id = anchorAt(textarea.value, textarea.selectionStart);
    var target = id && preview.querySelector("#" + id);
    if (!target) { return; }
    var offset = target.getBoundingClientRect().top - preview.getBoundingClientRect().top;
    preview.scrollTop += offset - 8;
  }

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
    var textarea = form.querySelector(".markdownx textarea");
    var preview = form.querySelector(".markdownx-preview");
    if (!textarea || !preview) { return; }
    var again = function () { follow(textarea, preview); };
    ["keyup", "click", "focus"].forEach(function (name) { textarea.addEventListener(name, again); });
    // markdownx renders the preview again after each edit: follow once it has.
    new MutationObserver(again).observe(preview, { childList: true, subtree: true });
  });
}());
