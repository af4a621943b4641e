// "Link to this clause": the § links are plain anchors. With JavaScript, following one
// also copies the permanent address of that clause (in this very version) to the
// clipboard and says so. Nothing on the page depends on this file.
(function () {
  "use strict";
  var text = document.querySelector(".document-text[data-permanent-url]");
  var status = document.querySelector(".copy-status");
  if (!text || !status || !navigator.clipboard) {
    return;
  }
  var hideTimer;
  text.addEventListener("click", function (event) {
    var link = event.target.closest("a.clause-link");
    if (!link) {
      return;
    }
    var url = text.getAttribute("data-permanent-url") + link.getAttribute("href");
    // The words come from the page, in its language.
    navigator.clipboard.writeText(url).then(function () {
      status.textContent = status.getAttribute("data-copied") + " " + url;
      clearTimeout(hideTimer);
      hideTimer = setTimeout(function () { status.textContent = ""; }, 5000);
    }, function () {
      status.textContent = status.getAttribute("data-in-bar");
    });
  });
})();
