/* Tsuide widget: enhances the server-rendered cart panel. No dependencies, no globals. */
(function () {
  "use strict";
  var PANEL = '[data-tsuide="cart"]';
  var TIMEOUT_MS = 5000;
  if (!window.fetch || !document.querySelector || !window.CustomEvent) return;
  var script = document.currentScript;
  var api = script && script.getAttribute("data-tsuide-api");
  if (!api) return;
  var warned = false;

  function warnOnce(error) {
    if (warned) return;
    warned = true;
    console.warn("tsuide: the cart panel kept its server-rendered state:", error);
  }

  function getQuote() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    return fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" },
                        signal: controller && controller.signal })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .finally(function () { if (timer) clearTimeout(timer); });
  }

  function showShipping(panel, quote) {
    var progress = quote.free_shipping;
    var bar = panel.querySelector("[data-tsuide-progress]");
    if (!progress || !bar) return;
    bar.setAttribute("aria-valuenow", String(Math.min(progress.threshold.amount,
      progress.threshold.amount - progress.remaining.amount)));
    var fill = bar.querySelector("span");
    if (fill) fill.style.width = (progress.fraction * 100).toFixed(1) + "%";
  }

  function refresh() {
    var panel = document.querySelector(PANEL);
    if (!panel) return;
    getQuote().then(function (quote) {
      showShipping(panel, quote);
      document.dispatchEvent(new CustomEvent("tsuide:cart-updated", { detail: quote }));
    }).catch(warnOnce);
  }

  document.addEventListener("tsuide:cart-changed", refresh);
})();
