/* Tsuide widget: makes the server-rendered panels work in place. No dependencies, no globals.
 * Without it (or where the browser lacks what it needs) the panels' forms post and come back. */
(function () {
  "use strict";
  var PANEL = '[data-tsuide="cart"]';
  var BODY = "[data-tsuide-body]";
  var ADD_FORM = "[data-tsuide-add-form]";
  var OFFER = "[data-tsuide-offer]";
  var TIMEOUT_MS = 8000;

  var script = document.currentScript;
  if (!script || !window.fetch || !window.DOMParser || !window.FormData || !window.CustomEvent ||
      !Element.prototype.closest) return;
  var cartApi = script.getAttribute("data-tsuide-api");
  var eventsApi = script.getAttribute("data-tsuide-events");
  if (!cartApi) return;
  var warned = false;
  var seen = {};

  function warnOnce(error) {
    if (warned) return;
    warned = true;
    if (window.console) console.warn("tsuide: keeping the panel as the server rendered it:", error);
  }

  function call(url, options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    options.credentials = "same-origin";
    options.signal = controller ? controller.signal : undefined;
    options.headers = options.headers || {};
    options.headers.Accept = "application/json";
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) return body;
        var failure = new Error("HTTP " + response.status);
        failure.message = body.error && body.error.message;
        failure.fromServer = Boolean(failure.message);
        throw failure;
      });
    }).finally(function () { if (timer) clearTimeout(timer); });
  }

  function token(root) {
    return root.getAttribute("data-tsuide-csrf") || "";
  }

  function beacon(root, kind, offers) {
    if (!eventsApi || !navigator.sendBeacon || !offers.length) return;
    var data = new FormData();
    data.append("kind", kind);
    data.append("page", "cart");
    data.append("csrf_token", token(root));
    offers.forEach(function (offer) { data.append("offers", offer); });
    navigator.sendBeacon(eventsApi, data);
  }

  function reportImpressions(root) {
    var fresh = [];
    root.querySelectorAll(OFFER).forEach(function (button) {
      var offer = button.getAttribute("data-tsuide-offer");
      if (offer && !seen[offer]) {
        seen[offer] = true;
        fresh.push(offer);
      }
    });
    beacon(root, "impression", fresh);
  }

  function announce(root, text) {
    var live = root.querySelector("[data-tsuide-live]");
    if (live) live.textContent = text || "";
  }

  function show(root, body) {
    var parsed = new DOMParser().parseFromString(body.panel_html || "", "text/html");
    var fresh = parsed.querySelector(BODY);
    var current = root.querySelector(BODY);
    if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    reportImpressions(root);
    document.dispatchEvent(new CustomEvent("tsuide:cart-updated", { detail: body }));
  }

  function refresh() {
    var root = document.querySelector(PANEL);
    if (!root) return;
    call(cartApi, { method: "GET" }).then(function (body) { show(root, body); }).catch(warnOnce);
  }

  function payload(form) {
    var data = new FormData(form);
    if (data.get("bundle_id")) return { bundle_id: data.get("bundle_id") };
    return { items: [{ product_id: data.get("product_id"), quantity: Number(data.get("quantity") || 1) }] };
  }

  function add(form, button) {
    var root = form.closest(PANEL);
    if (!root || button.disabled) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    beacon(root, "click", [button.getAttribute("data-tsuide-offer")]);
    call(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token(root) },
      body: JSON.stringify(payload(form))
    }).then(function (body) {
      show(root, body);
      announce(root, body.message);
      root.focus({ preventScroll: true });
    }).catch(function (error) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (error.fromServer) announce(root, error.message);
      else warnOnce(error);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest(ADD_FORM);
    if (!form) return;
    event.preventDefault();
    add(form, event.submitter || form.querySelector("button"));
  });
  document.addEventListener("tsuide:cart-changed", refresh);

  function start() {
    var root = document.querySelector(PANEL);
    if (!root) return;
    if (!root.hasAttribute("tabindex")) root.setAttribute("tabindex", "-1");
    reportImpressions(root);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
