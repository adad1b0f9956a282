/* The demo's thank-you page: when Tsuide's widget adds an offer to the order in place, redraw this shop's
 * own order summary from the server, so the page shows the order as it is now stored. */
(function () {
  "use strict";
  var SUMMARY = "#order-summary";
  if (!window.fetch || !window.DOMParser) return;
  document.addEventListener("tsuide:order-updated", function (event) {
    if (!event.detail || event.detail.state !== "accepted") return;  // a decline changes nothing in the order
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var now = document.querySelector(SUMMARY);
        var next = new DOMParser().parseFromString(html, "text/html").querySelector(SUMMARY);
        if (now && next) now.replaceWith(document.importNode(next, true));
      })
      .catch(function () { /* the page keeps what it shows; a reload brings it up to date */ });
  });
})();
