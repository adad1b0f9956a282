/* Tsuide widget: makes the server-rendered panels work in place. No dependencies, no globals.
 * Without it (or where the browser lacks what it needs) the panels' forms post and come back. */
(function () {
  "use strict";
  var CART = '[data-tsuide="cart"]';
  var THANK_YOU = '[data-tsuide="thank-you"]';
  var PRODUCT = '[data-tsuide="product"]';
  var NOTE = "data-tsuide-note";
  var PANEL = "[data-tsuide]";
  var BODY = "[data-tsuide-body]";
  var OFFER = "[data-tsuide-offer]";
  var RENEWAL = '[data-tsuide="renewal"]';
  var FORMS = "[data-tsuide-add-form], [data-tsuide-accept-form], [data-tsuide-decline-form], " +
              "[data-tsuide-renewal-add], [data-tsuide-renewal-decline]";
  var ERROR = "data-tsuide-error";
  var ACTIONS = "[data-tsuide-actions]";
  var TIMEOUT_MS = 8000;
  var TICK_MS = 1000;
  var MINUTE_S = 60;
  var HOUR_S = 3600;  // from an hour left, the clock reads "23時間59分" (data-tsuide-hours), not "1439:59"
  var GONE = 410;
  var VIEW_KEY = "tsuide:view";  // the UTC day this browser's view was last counted

  var script = document.currentScript;
  if (!script || !window.fetch || !window.DOMParser || !window.FormData || !window.CustomEvent ||
      !Element.prototype.closest) return;
  var cartApi = script.getAttribute("data-tsuide-api");
  var eventsApi = script.getAttribute("data-tsuide-events");
  var warned = false;
  var seen = {};
  var errors = 0;

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
        failure.status = response.status;
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
    if (!eventsApi || !navigator.sendBeacon || (!offers.length && kind !== "view")) return;
    var data = new FormData();
    data.append("kind", kind);
    data.append("page", root.getAttribute("data-tsuide"));
    data.append("csrf_token", token(root));
    var body = root.querySelector(BODY);  // what the server showed, signed: beacons count nothing else
    if (body) data.append("beacon_token", body.getAttribute("data-tsuide-beacon-token") || "");
    offers.forEach(function (offer) { data.append("offers", offer); });
    navigator.sendBeacon(eventsApi, data);
  }

  function reportImpressions(root) {
    var fresh = [];
    root.querySelectorAll(OFFER).forEach(function (element) {
      var offer = element.getAttribute("data-tsuide-offer");
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

  // The offer's eyebrow and title: what a screen reader hears when a new offer (a downsell) takes the place.
  function headline(root) {
    return [].map.call(root.querySelectorAll("[data-tsuide-announce]"), function (element) {
      return element.textContent.trim();
    }).join(" ");
  }

  function show(root, body) {
    var parsed = new DOMParser().parseFromString(body.panel_html || "", "text/html");
    var fresh = parsed.querySelector(PANEL);
    fresh = fresh && !fresh.hidden && fresh.querySelector(BODY);
    var current = root.querySelector(BODY);
    if (fresh && current) {
      current.replaceWith(document.importNode(fresh, true));
      startCountdown(root);
    }
    root.hidden = !(fresh && current);  // nothing (more) to offer: the panel goes, or stays away
    reportImpressions(root);
    document.dispatchEvent(new CustomEvent("tsuide:" + (body.state ? "order-updated" : "cart-updated"),
                                           { detail: body }));
  }

  function refresh() {
    var root = document.querySelector(CART);
    if (!root || !cartApi) return;
    call(cartApi, { method: "GET" }).then(function (body) { show(root, body); }).catch(warnOnce);
  }

  function payload(form) {
    var data = new FormData(form);
    if (data.get("token")) return { token: data.get("token") };  // a renewal add-on's signed token
    if (data.get("offer_id")) {
      var answer = { offer_id: data.get("offer_id") };
      if (data.get("idempotency_key")) answer.idempotency_key = data.get("idempotency_key");
      return answer;
    }
    if (data.get("bundle_id")) return { bundle_id: data.get("bundle_id") };
    var items = { items: [{ product_id: data.get("product_id"), quantity: Number(data.get("quantity") || 1) }] };
    if (data.get("offer")) items.offer = data.get("offer");
    return items;
  }

  function clearError(form) {
    var next = form.nextElementSibling;
    if (next && next.hasAttribute(ERROR)) next.parentNode.removeChild(next);
  }

  // Shown next to the button that caused it, and described by it; the live region announces it.
  function showError(form, button, text) {
    var error = document.createElement("p");
    error.className = "tsuide-error";
    error.id = "tsuide-error-" + (errors += 1);
    error.setAttribute(ERROR, "");
    error.textContent = text;
    form.parentNode.insertBefore(error, form.nextSibling);
    button.setAttribute("aria-describedby", error.id);
  }

  // Focus went nowhere (a disabled button loses it): put it back where the shopper was.
  function refocus(target, button) {
    var active = document.activeElement;
    if (!active || active === document.body || active === button) target.focus({ preventScroll: true });
  }

  function send(form, button) {
    var root = form.closest(PANEL);
    if (!root || button.disabled) return;
    clearError(form);
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (button.hasAttribute("data-tsuide-offer")) beacon(root, "click", [button.getAttribute("data-tsuide-offer")]);
    var product = root.matches(PRODUCT);
    // A product page's form names several items and the offers they come from: it goes as the form it is.
    call(form.action, product ? {
      method: "POST",
      headers: { "X-CSRFToken": token(root) },
      body: new FormData(form)
    } : {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token(root) },
      body: JSON.stringify(payload(form))
    }).then(function (body) {
      if (product) return addedFromProduct(root, body);
      if (root.matches(RENEWAL)) return renewed(root, form, body);
      show(root, body);
      announce(root, body.message || headline(root));
      root.focus({ preventScroll: true });
    }).catch(function (error) {
      button.removeAttribute("aria-busy");
      button.disabled = false;
      if (!error.fromServer) return warnOnce(error);
      showError(form, button, error.message);
      announce(root, error.message);
      if (error.status !== GONE) return refocus(button, button);
      // Gone (ended, sold out): this button, or on the thank-you page the whole offer, cannot be taken.
      (root.matches(THANK_YOU) ? root : form).querySelectorAll("button").forEach(function (each) {
        each.disabled = true;
      });
      refocus(root, button);
    });
  }

  // The product panel after an add: the host's totals first (the add answered with the cart's quote), then
  // this product's offers quoted again for the new cart, with what happened said on screen and aloud.
  function addedFromProduct(root, cartBody) {
    document.dispatchEvent(new CustomEvent("tsuide:cart-updated", { detail: cartBody }));
    refresh();  // a cart panel on the same page follows the cart too
    var done = function (fresh) {
      var parsed = new DOMParser().parseFromString((fresh && fresh.panel_html) || "", "text/html");
      var next = parsed.querySelector(PANEL);
      next = next && !next.hidden && next.querySelector(BODY);
      var current = root.querySelector(BODY);
      if (!current) return;
      if (next) {
        next = document.importNode(next, true);
        current.replaceWith(next);
        current = next;
      } else {
        while (current.firstChild) current.removeChild(current.firstChild);  // nothing more to offer here
      }
      var note = document.createElement("p");
      note.className = "tsuide-note";
      note.setAttribute(NOTE, "");
      note.textContent = cartBody.message || "";
      current.insertBefore(note, current.firstChild);
      announce(root, cartBody.message);
      reportImpressions(root);
      root.focus({ preventScroll: true });
    };
    var api = root.getAttribute("data-tsuide-api");
    if (!api) return done(null);
    return call(api, { method: "GET" }).then(done).catch(function (error) { warnOnce(error); done(null); });
  }

  // A renewal add-on answered: added, its buttons give way to the server's sentence; declined, it goes.
  // The panel goes too once nothing is left in it. The shop's page hears "tsuide:renewal-updated".
  function renewed(root, form, body) {
    var offer = form.closest("[data-tsuide-renewal-offer]");
    var focus = root;
    if (offer && form.hasAttribute("data-tsuide-renewal-add")) {
      var note = document.createElement("p");
      note.className = "tsuide-renewal__added";
      note.setAttribute("data-tsuide-renewal-added", "");
      note.setAttribute("tabindex", "-1");
      note.textContent = body.message || "";
      var actions = offer.querySelector(".tsuide-renewal__actions");
      if (actions) actions.parentNode.replaceChild(note, actions);
      focus = note;
    } else if (offer) {
      offer.parentNode.removeChild(offer);
    }
    if (!root.querySelector("[data-tsuide-renewal-offer]")) root.hidden = true;
    announce(root, body.message || "");
    if (!root.hidden) focus.focus({ preventScroll: true });
    document.dispatchEvent(new CustomEvent("tsuide:renewal-updated", { detail: body }));
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // The same two forms as the server's: "M:SS" under an hour, then hours and minutes in the page's words.
  function clockText(left, hours) {
    if (left < HOUR_S || !hours) return Math.floor(left / MINUTE_S) + ":" + pad(left % MINUTE_S);
    return hours.replace("{h}", Math.floor(left / HOUR_S)).replace("{m}", Math.floor(left % HOUR_S / MINUTE_S));
  }

  function startCountdown(root) {
    var clock = root.querySelector("[data-tsuide-countdown]");
    if (!clock || clock.getAttribute("data-tsuide-ticking")) return;
    clock.setAttribute("data-tsuide-ticking", "1");
    var format = clock.getAttribute("data-tsuide-format") || "{time}";
    var hours = clock.getAttribute("data-tsuide-hours");
    // The server's own count of seconds left, so the shopper's clock never changes the offer.
    var endsAt = Date.now() + Number(clock.getAttribute("data-tsuide-seconds-left")) * 1000;
    var timer = setInterval(function () {
      var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      if (!clock.isConnected) return clearInterval(timer);
      if (left > 0) {
        clock.textContent = format.replace("{time}", clockText(left, hours));
        return;
      }
      clearInterval(timer);
      endOffer(root, clock);
    }, TICK_MS);
  }

  // At 0:00 the server refuses the offer: take its buttons away and say so, on screen and aloud.
  function endOffer(root, clock) {
    var ended = clock.getAttribute("data-tsuide-ended") || "";
    var line = clock.closest("[data-tsuide-urgency]") || clock;
    var actions = root.querySelector(ACTIONS);
    var focused = actions && actions.contains(document.activeElement);
    line.textContent = ended;
    line.classList.add("tsuide-thank-you__urgency--ended");
    root.querySelectorAll(ACTIONS + " button").forEach(function (button) { button.disabled = true; });
    if (actions) actions.hidden = true;
    announce(root, ended);
    if (focused) root.focus({ preventScroll: true });
  }

  // Views are counted once a visitor and day: send the beacon only on this browser's first view today.
  function firstViewToday() {
    var today = new Date().toISOString().slice(0, 10);  // the UTC day, as the server counts
    try {
      if (window.localStorage.getItem(VIEW_KEY) === today) return false;
      window.localStorage.setItem(VIEW_KEY, today);
    } catch (error) { /* no storage here: send it, the server keeps one a day anyway */ }
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest(FORMS);
    if (!form || !form.closest(PANEL)) return;
    event.preventDefault();
    send(form, event.submitter || form.querySelector("button"));
  });
  document.addEventListener("tsuide:cart-changed", refresh);

  function start() {
    var roots = document.querySelectorAll(PANEL);
    roots.forEach(function (root) {
      if (!root.hasAttribute("tabindex")) root.setAttribute("tabindex", "-1");
      reportImpressions(root);
      startCountdown(root);
    });
    if (roots.length && firstViewToday()) beacon(roots[0], "view", []);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
