/* Tsuide admin: the product picker. Each product field of a form becomes a combobox (the ARIA 1.2 pattern, a
   listbox of options) searching the shop's products by name through GET <prefix>/admin/api/products?q=, each
   option with its image, price and stock. Arrow keys move, Enter picks, Escape closes. Without this script the
   fields take ids and the form's own "Find a product by name" search adds products with plain buttons. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 200;
  var MAX_OPTIONS = 8;
  var form = document.querySelector("form[data-product-api]");
  if (!form || !window.fetch || !window.URLSearchParams || !Element.prototype.closest) { return; }

  var api = form.getAttribute("data-product-api");
  var text = function (name) { return form.getAttribute("data-text-" + name) || ""; };
  var live = document.createElement("div");
  live.className = "ta-hidden";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  form.appendChild(live);
  var serial = 0;
  var timer = null;
  var asked = 0;

  function enhance(input) {
    if (input.getAttribute("role") === "combobox") { return; }
    serial += 1;
    var listbox = document.createElement("ul");
    listbox.id = "ta-products-" + serial;
    listbox.className = "ta-listbox";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", text("results"));
    listbox.hidden = true;
    input.removeAttribute("list");  // the plain suggestion list would compete with the listbox
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.insertAdjacentElement("afterend", listbox);
  }

  function listboxOf(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function options(input) { return Array.prototype.slice.call(listboxOf(input).querySelectorAll("[role=option]")); }

  function close(input) {
    var listbox = listboxOf(input);
    if (!listbox) { return; }
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function activate(input, option) {
    options(input).forEach(function (each) { each.setAttribute("aria-selected", each === option ? "true" : "false"); });
    if (!option) { input.removeAttribute("aria-activedescendant"); return; }
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({block: "nearest"});
  }

  function card(product) {
    var summary = document.createElement("span");
    summary.className = "ta-product";
    summary.setAttribute("data-product-summary", "");
    if (product.image_url) {
      var image = document.createElement("img");
      image.className = "ta-product__image";
      image.src = product.image_url;
      image.alt = "";
      image.width = 40;
      image.height = 40;
      summary.appendChild(image);
    }
    var words = document.createElement("span");
    words.className = "ta-product__text";
    var name = document.createElement("span");
    name.className = "ta-product__name";
    name.textContent = product.name;
    var meta = document.createElement("span");
    meta.className = "ta-product__meta";
    var price = document.createElement("span");
    price.textContent = product.price_display;
    var stock = document.createElement("span");
    stock.className = "ta-stock ta-stock--" + (product.in_stock ? "in" : "out");
    stock.textContent = text(product.in_stock ? "in-stock" : "out-of-stock");
    var id = document.createElement("code");
    id.textContent = product.id;
    meta.append(price, " ", stock, " ", id);
    words.append(name, meta);
    summary.appendChild(words);
    return summary;
  }

  function show(input, products) {
    var listbox = listboxOf(input);
    listbox.textContent = "";
    products.slice(0, MAX_OPTIONS).forEach(function (product, index) {
      var option = document.createElement("li");
      option.id = listbox.id + "-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-product", JSON.stringify(product));
      option.appendChild(card(product));
      listbox.appendChild(option);
    });
    if (!products.length) {
      var none = document.createElement("li");
      none.className = "ta-empty";
      none.textContent = text("none");
      listbox.appendChild(none);
    }
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
    live.textContent = products.length ? text("found").replace("{count}", String(Math.min(products.length, MAX_OPTIONS)))
      : text("none");
  }

  function search(input) {
    var query = input.value.trim();
    asked += 1;
    var mine = asked;
    if (!query) { close(input); return; }
    fetch(api + "?" + new URLSearchParams({q: query}), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {items: []}; })
      .then(function (body) {
        if (mine !== asked || document.activeElement !== input) { return; }  // a later search, or the owner left
        show(input, body.items || []);
      })
      .catch(function () { close(input); });
  }

  function pick(input, option) {
    var product = JSON.parse(option.getAttribute("data-product"));
    input.value = product.id;
    close(input);
    var holder = input.closest(".ta-combo");
    var old = holder && holder.querySelector("[data-product-summary]");
    if (old) { old.remove(); }
    if (holder) { holder.appendChild(card(product)); }
    var quantity = form.querySelector('[name="' + input.name.replace(/-product_id$/, "-quantity") + '"]');
    if (quantity && quantity !== input && !quantity.value) { quantity.value = "1"; }
    input.dispatchEvent(new Event("change", {bubbles: true}));
    live.textContent = product.name;
  }

  form.querySelectorAll("[data-product-picker]").forEach(enhance);

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches("[data-product-picker]")) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () { search(input); }, DEBOUNCE_MS);
  });

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches("[role=combobox]")) { return; }
    var open = input.getAttribute("aria-expanded") === "true";
    var all = options(input);
    var current = all.indexOf(document.getElementById(input.getAttribute("aria-activedescendant")));
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open) { search(input); return; }
      if (!all.length) { return; }
      var step = event.key === "ArrowDown" ? 1 : -1;
      activate(input, all[(current + step + all.length) % all.length] || all[0]);
    } else if (event.key === "Enter" && open && current >= 0) {
      event.preventDefault();  // picks the product; it never submits the form
      pick(input, all[current]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close(input);
    } else if (event.key === "Tab") {
      close(input);
    }
  });

  form.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("[role=option]");
    if (!option) { return; }
    event.preventDefault();  // keeps the focus in the field
    var input = form.querySelector('[aria-controls="' + option.parentNode.id + '"]');
    if (input) { pick(input, option); }
  });

  form.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[role=combobox]")) { close(input); }
  });
})();
