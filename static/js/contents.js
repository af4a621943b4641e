// A long document's contents: folded on narrow screens (open without scripts, as the
// page works without them), and on wide ones the section being read is marked in it.
(function () {
  "use strict";
  var details = document.querySelector(".toc details");
  if (!details) { return; }
  var narrow = window.matchMedia("(max-width: 61.99rem)");
  if (narrow.matches) { details.open = false; }
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
