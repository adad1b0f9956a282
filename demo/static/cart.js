/* The demo's cart and product pages: when Tsuide's widget adds an offer in place, redraw this shop's own
 * lines, totals and cart count from the server, so every number on the page comes from the same quote. */
(function () {
  "use strict";
  var PARTS = [".cart-lines", ".summary-card", "#cart-count"];
  if (!window.fetch || !window.DOMParser) return;
  document.addEventListener("tsuide:cart-updated", function () {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        PARTS.forEach(function (selector) {
          var now = document.querySelector(selector);
          var next = fresh.querySelector(selector);
          if (now && next) now.replaceWith(document.importNode(next, true));
        });
      })
      .catch(function () { /* the page keeps what it shows; a reload brings it up to date */ });
  });
})();
