"""The blueprint: the shopper's JSON API and the widget, under ``TSUIDE_URL_PREFIX``.

Every POST carries a CSRF token (the ``X-CSRFToken`` header, or a
``csrf_token`` form field), checked with Flask-WTF, so it also passes a shop
that runs ``CSRFProtect`` itself. Prices sent by a browser are never read:
the server prices everything with the engine.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, default_exceptions
from wtforms import ValidationError as TokenError

from . import storage as models
from .storefront.quote_json import quote_json
from .engine.offers import additions_for
from .storefront import beacons, renewals as _renewals, thank_you as _thank_you
from .storefront.assets import send_asset
from .storefront.panels import log_failure, render_cart_panel, render_product_panel, render_thank_you
from .storefront.plan_copy import cycle_text, day_text
from .storefront.product_page import product_page
from .storefront.request_limits import limit_request
from .storefront.safe_urls import back_url, link_url
from .storefront.visitor import visitor_id
from .storage.events import analytics_savepoint
from .storage.percent import percent_number
from .engine.values import Product
from .errors import InvalidRequest, NotAddable, OfferUnavailable, PluginUnavailable, UnknownOffer
from .storefront.quote_json import gets_json
from .engine.rules import BuyXGetY, FixedBundle, FreeGift, ShippingThreshold, SpendDiscount, VolumeDiscount
from .storefront.schemas import (
    AcceptSchema,
    AddToCartSchema,
    EventSchema,
    OfferAnswerSchema,
    form_to_add_request,
)

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> str:
    """``static/`` and ``templates/`` sit inside the installed package, or beside it in a checkout."""
    inside = _PACKAGE / name
    return str(inside if inside.is_dir() else _PACKAGE.parent / name)


class _Blueprint(Blueprint):
    def send_static_file(self, filename: str):
        """``widget.js?v=<hash>`` and the like: cached for a year when the version is current (see assets)."""
        return send_asset(self.static_folder, filename, lambda: super(_Blueprint, self).send_static_file(filename))


blueprint = _Blueprint(
    "tsuide",
    __name__,
    static_folder=_shipped("static"),
    template_folder=_shipped("templates"),
)
# Panels pass the adapter's product links through this: only http(s) and paths become an href or src.
blueprint.add_app_template_filter(link_url, "tsuide_link")


#: Endpoints the panels' no-JavaScript forms post to: they answer with a redirect back to the page.
FORM_ENDPOINTS = {"tsuide.add_to_cart", "tsuide.accept_offer", "tsuide.decline_offer", "tsuide.renewal_add",
                  "tsuide.renewal_decline"}


def _tsuide():
    return current_app._get_current_object().extensions["tsuide"]


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@blueprint.before_request
def _limit_request() -> None:
    """Before anything reads the body (the CSRF check below reads the form): its size, and a JSON body's shape."""
    limit_request(current_app._get_current_object().config["TSUIDE_MAX_REQUEST_BYTES"])


@blueprint.before_request
def _check_csrf() -> None:
    if request._get_current_object().method != "POST" or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
    try:
        validate_csrf(token)
    except TokenError:
        raise CSRFError(_tsuide().gettext("Your session has expired. Please reload the page and try again.")) from None


@blueprint.errorhandler(HTTPException)
def _shopper_error(error: HTTPException):
    """JSON for the widget; for a plain form, the message as a flash and back to the page."""
    message = error.description
    # A body refused for its size is never read, not even for the form's ``next``: no way back but JSON.
    if _wants_json() or request.endpoint not in FORM_ENDPOINTS or isinstance(error, RequestEntityTooLarge):
        body = {"error": {"message": message}}
        if isinstance(error, InvalidRequest):
            body["error"]["fields"] = error.fields
        return jsonify(body), error.code
    flash(message, "error")
    return redirect(_back(), 303)


@blueprint.errorhandler(Exception)
def _plugin_failure(error: Exception):
    """Never a 500 from the plugin: log it and answer 503, which the widget shrugs off."""
    if isinstance(error, HTTPException):
        return _shopper_error(error)
    log_failure(_tsuide(), f"{request.method} {request.url_rule}", error)
    return _shopper_error(PluginUnavailable(_tsuide().gettext("Something went wrong. Please try again.")))


# Flask looks up handlers by status code (the shop's too) before handlers by class: register ours per
# code as well, so a shop's own 404 page never replaces the API's JSON errors.
for _code in default_exceptions:
    blueprint.register_error_handler(_code, _shopper_error)


def _back() -> str:
    """The page of this shop a form asked to come back to, else the page it came from, else the shop's home."""
    return back_url((request.form.get("next"), request.referrer), request.host,
                    current_app.config["TSUIDE_SHOP_URL"])


def _validated(schema: type, form: dict) -> dict:
    """The JSON body (or, from a plain form, ``form``) checked by ``schema``: 400 naming each wrong field."""
    raw = request.get_json(silent=True) if request.is_json else form
    try:
        if not isinstance(raw, dict):
            raise ValidationError({"_schema": ["Send a JSON object."]})
        return schema().load(raw)
    except ValidationError as error:
        raise InvalidRequest(_tsuide().gettext("Please check what you sent."), error.messages) from None


def _cart_body(message: str | None = None) -> dict:
    tsuide = _tsuide()
    quote = tsuide.quote()
    money = tsuide._money()
    body = quote_json(quote, money)
    token = beacons.beacon_token(beacons.cart_offer_ids(quote))
    body["panel_html"] = render_cart_panel(tsuide, quote, money, token)  # the same token in the panel and the JSON
    body["beacon_token"] = token
    if message:
        body["message"] = message
    return body


#: The cart answer's encoder, made once: compact, UTF-8 text. Without the check for cycles, which a body built
#: from fresh dicts and lists has none of (it keeps a table of every list and dict it enters).
_COMPACT_UTF8 = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _cart_json(body: dict, status: int = 200):
    """A cart answer, encoded once: compact UTF-8 in the order it was built. (``jsonify`` would sort every object's
    keys and write each Japanese character of the panel as ``\\uXXXX``, six bytes for three.)"""
    try:
        data = _COMPACT_UTF8.encode(body).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a shop's text, which UTF-8 cannot carry: \\u escapes for all
        data = json.dumps(body, separators=(",", ":")).encode("ascii")
    return current_app._get_current_object().response_class(data, status, mimetype="application/json")


@blueprint.get("/api/cart")
def cart_api():
    """The quote and offers for the shopper's current cart, and the panel as the server renders it."""
    return _cart_json(_cart_body())


@blueprint.get("/api/products/<product_id>/offers")
def product_offers_api(product_id: str):
    """The sets, volume tier and companions of a product, each priced by quoting the cart it would make."""
    tsuide = _tsuide()
    page = product_page(tsuide, product_id)
    if page is None:
        raise UnknownOffer(tsuide.gettext("This product does not exist."))

    def amount(value: int) -> dict:
        return {"amount": value, "display": tsuide.format_money(value)}

    return jsonify({
        "product_id": page.product.id,
        "total": amount(page.quote.total),
        "offers": [
            {
                "kind": offer.kind,
                "offer_id": offer.offer_id,
                "offer_ids": list(offer.offer_ids),
                "label": offer.label,
                "add": [{"product_id": line.product_id, "quantity": line.quantity} for line in offer.add],
                "added_price": amount(offer.added_price),
                "saving": amount(offer.saving),
                "new_total": amount(offer.new_total),
                "tier": None if offer.tier is None else {"min_quantity": offer.tier.min_quantity,
                                                         "discount_percent": percent_number(offer.tier.percent_bp)},
                "gets": gets_json(offer.gets, amount),
                "max_units": offer.max_units,
            }
            for offer in page.offers
        ],
        "panel_html": render_product_panel(tsuide, page),
        "beacon_token": beacons.beacon_token(page.offer_ids),
    })


def _offer_additions(context, bundle_id: str) -> list[tuple[Product, int]]:
    tsuide = _tsuide()
    rule = context.snapshot.by_id.get(bundle_id)
    if rule is None or isinstance(rule, (ShippingThreshold, SpendDiscount)):
        raise UnknownOffer(tsuide.gettext("This offer does not exist."))
    left = rule.applications_left(
        context.usage.customer_used.get(rule.id, 0), context.usage.redeemed.get(rule.id)
    )
    if not rule.is_live(datetime.now(timezone.utc)) or left == 0:
        raise OfferUnavailable(tsuide.gettext("This offer is no longer available."))
    products = dict(context.products)
    wanted = context.snapshot.referenced_products([rule]) - products.keys()
    if wanted:
        products.update(tsuide._adapter.products(wanted))
    if isinstance(rule, FixedBundle):
        for item in rule.items:
            product = products.get(item.product_id)
            if product is None:
                raise OfferUnavailable(tsuide.gettext("This offer is no longer available."))
            if not product.in_stock and context.cart.quantity_of(item.product_id) < item.quantity:
                raise NotAddable(tsuide.gettext("%(name)s is out of stock.", name=product.name))
    found = additions_for(rule, context.cart, products)
    if found is None:
        raise NotAddable(tsuide.gettext("Everything in this offer is already in your cart."))
    return found[0]


def _product_additions(items: list[dict]) -> list[tuple[Product, int]]:
    tsuide = _tsuide()
    products = tsuide._adapter.products({item["product_id"] for item in items})
    additions = []
    for item in items:
        product = products.get(item["product_id"])
        if product is None:
            raise UnknownOffer(tsuide.gettext("This product does not exist."))
        if not product.in_stock:
            raise NotAddable(tsuide.gettext("%(name)s is out of stock.", name=product.name))
        additions.append((product, item["quantity"]))
    return additions


def _product_page_offers(offers, added: set[str]) -> list[tuple[str, str | None]]:
    """The offers these items are credited to: a product page's companion it names, a tier or a buy-X-get-Y that
    counts them; a free gift they earn (the cart's "add X to get the gift")."""
    tsuide = _tsuide()
    credited = [(offer, None) for offer in offers if offer.startswith("pair:") and offer[5:] in added]
    rule_ids = [offer for offer in offers if offer.isdigit()]
    if rule_ids:
        state = tsuide._state()
        snapshot, _ = state.store.current(state.db.session, None)
        exposure = tsuide.exposure(snapshot)
        products = tsuide._adapter.products(added)
        for rule_id in rule_ids:
            rule = snapshot.by_id.get(rule_id)
            if isinstance(rule, VolumeDiscount) and any(rule.counts(p.id, p.category) for p in products.values()):
                credited.append((rule_id, exposure.variant_of(rule_id)))
            elif isinstance(rule, BuyXGetY) and any(rule.buys(p.id, p.category) or rule.gets(p.id, p.category)
                                                    for p in products.values()):
                credited.append((rule_id, exposure.variant_of(rule_id)))
            elif isinstance(rule, FreeGift) and rule.trigger_product_ids & added:
                credited.append((rule_id, exposure.variant_of(rule_id)))
    return credited


@blueprint.post("/api/cart/items")
def add_to_cart():
    """Add an offer (``bundle_id``) or products (``items``); answer with the new quote.

    Everything is checked before the cart is touched, so a refused request leaves it as it was.
    """
    tsuide = _tsuide()
    data = _validated(AddToCartSchema, form_to_add_request(request.form))
    taken = []  # (offer id, variant) of the offers taken from a panel, for the analytics
    if "bundle_id" in data:
        context = tsuide._context(tsuide._adapter.current_cart())
        additions = _offer_additions(context, data["bundle_id"])
        taken.append((data["bundle_id"], tsuide.exposure(context.snapshot).variant_of(data["bundle_id"])))
    else:
        additions = _product_additions(data["items"])
        added = {product.id for product, _ in additions}
        if "offer" in data and data["offer"].isdigit():  # "add X to get the gift": credited when X earns it
            taken += _product_page_offers([data["offer"]], added)
        elif "offer" in data and data["offer"].split(":", 1)[1] in added:
            taken.append((data["offer"], None))  # a suggested product (never under test), credited for what it names
        taken += _product_page_offers(data.get("offers", ()), added)
    tsuide._adapter.add_to_cart([(product.id, quantity) for product, quantity in additions])
    if taken:
        session = tsuide._state().db.session
        with analytics_savepoint(session):  # the cart has the items already: analytics never undo that
            session.add_all(models.Event(kind="add", rule_id=offer, variant=variant, visitor_id=visitor_id(),
                                         page=data["page"]) for offer, variant in dict.fromkeys(taken))
        session.commit()
    message = tsuide.gettext("Added to your cart.")
    if not _wants_json():
        flash(message, "success")
        return redirect(_back(), 303)
    return _cart_json(_cart_body(message))


@blueprint.post("/api/events")
def events():
    """View, impression, click and dismiss beacons (sent with ``navigator.sendBeacon``).

    Only offers the panel's signed beacon token says the server showed this
    visitor are stored, once a visitor, offer, kind and day (see
    :mod:`plugin.storefront.beacons`). The server, not the browser, says which
    A/B variant each offer was and whether the visitor is in the holdout.
    """
    form = {"kind": request.form.get("kind"), "offers": request.form.getlist("offers"),
            "page": request.form.get("page"), "beacon_token": request.form.get("beacon_token")}
    data = _validated(EventSchema, {key: value for key, value in form.items() if value is not None})
    tsuide = _tsuide()
    session = tsuide._state().db.session
    visitor = visitor_id()
    snapshot, _ = tsuide._state().store.current(session, None)
    recorded = beacons.recorded_today(session, visitor, data["kind"])
    if data["kind"] == "view":  # one a visitor and (UTC) day is enough to count visitors
        if None in recorded:
            return "", 204
        session.add(models.Event(kind="view", visitor_id=visitor, page=data["page"],
                                 variant=models.HOLDOUT if tsuide.exposure(snapshot).holdout else None))
    else:
        shown = beacons.shown(data["beacon_token"])
        if shown is None:  # not a panel the server rendered for this visitor (or one over a day old)
            return "", 204
        exposure = tsuide.exposure(snapshot)
        if shown.order_id is not None:  # a thank-you panel: the variants of the order's shopper
            exposure = _thank_you.order_exposure(tsuide, shown.order_id, snapshot)
        session.add_all(
            models.Event(kind=data["kind"], rule_id=offer, visitor_id=visitor, page=data["page"],
                         variant=exposure.variant_of(offer))
            for offer in dict.fromkeys(data["offers"])
            if offer in shown.offers and offer not in recorded
        )
    session.commit()
    return "", 204


def _step_body(step, message: str | None = None) -> dict:
    tsuide = _tsuide()
    amendment = step.amendment
    body = {
        "state": step.state,
        "order": {"id": step.order.id, "total": {"amount": step.order.total,
                                                  "display": tsuide.format_money(step.order.total)}},
        "seconds_left": step.seconds_left(datetime.now(timezone.utc)),
        "offer": None,
        "panel_html": render_thank_you(tsuide, step),
        "beacon_token": beacons.beacon_token(beacons.thank_you_offer_ids(step), step.order.id),
    }
    if amendment is not None:
        body["offer"] = {
            "id": amendment.offer.id,
            "label": amendment.offer.label_for(tsuide.locale()),
            "downsell": step.is_downsell,
            "add": [{"product_id": line.product_id, "quantity": line.quantity} for line in amendment.add],
            "remove": [{"product_id": line.product_id, "quantity": line.quantity} for line in amendment.remove],
            "charge": {"amount": amendment.charge, "display": tsuide.format_money(amendment.charge)},
            "new_total": {"amount": amendment.new_total, "display": tsuide.format_money(amendment.new_total)},
            "left": step.left,
            "kind": amendment.offer.kind.value,
            "plan": _plan_body(amendment.plan),
        }
    if step.plan is not None:
        body["plan"] = _plan_body(step.plan)
    if message:
        body["message"] = message
    return body


def _plan_body(plan) -> dict | None:
    """A 定期 plan as JSON: every amount and date the panel words (``None`` for other offers)."""
    if plan is None:
        return None
    tsuide = _tsuide()

    def amount(value: int) -> dict:
        return {"amount": value, "display": tsuide.format_money(value)}

    locale = tsuide.locale()
    return {
        "product_id": plan.product_id, "every": plan.every, "unit": plan.unit.value,
        "deliver": [{"product_id": line.product_id, "quantity": line.quantity} for line in plan.lines],
        "quantity": plan.quantity, "first_price": amount(plan.first_price), "refund": amount(plan.refund),
        "recurring_price": amount(plan.recurring_price), "list_price": amount(plan.list_price),
        "min_deliveries": plan.min_deliveries, "commitment_total": amount(plan.commitment_total),
        "next_delivery_on": plan.next_delivery_on.isoformat(),
        "commitment_ends_on": plan.commitment_ends_on.isoformat() if plan.commitment_ends_on else None,
        "payment_terms": plan.payment_for(locale), "cancel_terms": plan.cancel_for(locale),
    }


def _answered(step, message: str | None):
    if not _wants_json():
        if message:
            flash(message, "success")
        return redirect(_back(), 303)
    return jsonify(_step_body(step, message))


@blueprint.get("/api/orders/<order_id>/offer")
def order_offer(order_id: str):
    """The thank-you offer for an order the current shopper owns (404 otherwise)."""
    return jsonify(_step_body(_thank_you.step_for(_tsuide(), order_id)))


@blueprint.post("/api/orders/<order_id>/offer/accept")
def accept_offer(order_id: str):
    """One click: amend the order and charge its stored payment, once per idempotency key."""
    data = _validated(AcceptSchema, request.form.to_dict())
    tsuide = _tsuide()
    step = _thank_you.accept(tsuide, order_id, data["offer_id"], data["idempotency_key"])
    if step.plan is not None:
        return _answered(step, tsuide.gettext(
            "Switched to a subscription, delivered %(cycle)s. Next delivery around %(day)s.",
            cycle=cycle_text(step.plan.every, step.plan.unit, tsuide.gettext),
            day=day_text(step.plan.next_delivery_on, tsuide.locale())))
    return _answered(step, tsuide.gettext("Added to your order. New order total %(amount)s.",
                                          amount=tsuide.format_money(step.order.total)))


@blueprint.post("/api/orders/<order_id>/offer/decline")
def decline_offer(order_id: str):
    """Decline; the answer may carry a cheaper alternative (the downsell), shown once."""
    data = _validated(OfferAnswerSchema, request.form.to_dict())
    return _answered(_thank_you.decline(_tsuide(), order_id, data["offer_id"]), None)


# -- renewal add-ons: a subscription's next delivery ------------------------------------------------------

def _renewal_token() -> str:
    body = request.get_json(silent=True) if request.is_json else request.form
    token = body.get("token") if isinstance(body, dict) or hasattr(body, "get") else None
    if not isinstance(token, str) or not token or len(token) > 2000:
        raise InvalidRequest(_tsuide().gettext("Please check what you sent."), {"token": ["Missing or too long."]})
    return token


def _renewal_answer(addition, message: str | None):
    if not _wants_json():
        if message:
            flash(message, "success")
        return redirect(_back(), 303)
    tsuide = _tsuide()
    body = {"subscription_id": addition.subscription_id, "delivery_on": addition.delivery_on.isoformat(),
            "items": [{"product_id": line.product_id, "quantity": line.quantity,
                       "unit_price": {"amount": line.unit_price, "display": tsuide.format_money(line.unit_price)}}
                      for line in addition.items],
            "price": {"amount": addition.price, "display": tsuide.format_money(addition.price)}}
    if message:
        body["message"] = message
    return jsonify(body)


@blueprint.get("/renewals/<token>")
def renewal_confirm(token: str):
    """The e-mail's link: a page that names the addition and its price, with one button (a GET adds nothing,
    so a mail scanner that follows links never adds to a delivery)."""
    tsuide = _tsuide()
    addition = _renewals.read(tsuide, token)
    products = tsuide._adapter.products({line.product_id for line in addition.items})
    return render_template("tsuide/renewal_confirm.html", addition=addition, products=products, token=token,
                           _=tsuide.gettext, money=tsuide.format_money, csrf_token=generate_csrf(),
                           day=day_text(addition.delivery_on, tsuide.locale()),
                           shop_url=current_app.config["TSUIDE_SHOP_URL"], lang=tsuide.locale())


@blueprint.post("/api/renewals/add")
def renewal_add():
    """One click: add a suggested product to the subscription's next delivery, once per token."""
    tsuide = _tsuide()
    addition = _renewals.add(tsuide, _renewal_token())
    return _renewal_answer(addition, tsuide.gettext("Added to your next delivery (%(day)s) for %(amount)s.",
                                                    day=day_text(addition.delivery_on, tsuide.locale()),
                                                    amount=tsuide.format_money(addition.price)))


@blueprint.post("/api/renewals/decline")
def renewal_decline():
    """Not these, thanks: the suggestion is not made to this subscription again for a while."""
    return _renewal_answer(_renewals.decline(_tsuide(), _renewal_token()), None)
