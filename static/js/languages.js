// The language switcher keeps the reader on the same clause (the address's #fragment
// is not sent to the server, so the links get it here); and a page in another language
// than the browser's suggests the reader's own, once, without going there by itself.
(function () {
  "use strict";
  var page = document.documentElement.lang;
  document.querySelectorAll("nav.languages a, .language-suggestion a").forEach(function (link) {
    link.addEventListener("click", function () {
      if (location.hash) { link.href = link.href.split("#")[0] + location.hash; }
    });
  });
  var preferred = (navigator.languages || [navigator.language || ""]).map(function (tag) {
    return tag.toLowerCase().split("-")[0];
  });
  var offered = ["en", "ru", "vi"];
  var wanted = preferred.filter(function (code) { return offered.indexOf(code) >= 0; })[0];
  if (!wanted || wanted === page) { return; }
  var suggestion = document.querySelector(".language-suggestion");
  var link = suggestion && suggestion.querySelector('a[data-language="' + wanted + '"]');
  if (link) { link.hidden = false; suggestion.hidden = false; }
}());
