// What comes before a document's text is folded on narrow screens, so the text starts on
// the first screen (each open without scripts, as the page works without them): the
// contents, the fingerprint, the links to versions and downloads. On wide screens the
// section being read is marked in the contents.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 61.99rem)");
  if (narrow.matches) {
    document.querySelectorAll("details[data-fold-narrow]").forEach(function (fold) {
      fold.open = false;
    });
  }
  var details = document.querySelector(".toc details");
  if (!details) { return; }
  var links = {};
  details.querySelectorAll("a[href^='#']").forEach(function (link) {
    links[link.getAttribute("href").slice(1)] = link;
  });
  var headings = document.querySelectorAll(".document-text h2[id]");
  if (!("IntersectionObserver" in window) || !headings.length) { return; }
  var current = null;
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting || !links[entry.target.id]) { return; }
      if (current) { current.removeAttribute("aria-current"); }
      current = links[entry.target.id];
      current.setAttribute("aria-current", "location");
    });
  }, { rootMargin: "0px 0px -70% 0px" });
  headings.forEach(function (heading) { observer.observe(heading); });
}());
