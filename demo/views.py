"""The shop's pages. Every total a shopper sees or pays comes from ``tsuide.quote()``."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

import plugin
from plugin import CapReached
from plugin.engine.subscriptions import priced_items
from plugin.storefront.plan_copy import cycle_text
from plugin.storefront.safe_urls import back_url

from . import shopper, subscriptions
from .adapter import build_cart
from .catalogue import CATEGORIES
from .extensions import db, tsuide
from .images import product_svg
from .models import Customer, Order, Product, Subscription
from .seed import place_order
from .text import category_name, tr

shop = Blueprint("shop", __name__, template_folder="templates", static_folder="static", static_url_path="/shop-static")

#: The pretend card the demo accepts: 16 digits starting with 4242.
DEMO_CARD = re.compile(r"4242\d{12}")


@shop.before_app_request
def _identify_shopper() -> None:
    shopper.customer_id()


@shop.before_request
def _protect_forms() -> None:
    if request.method == "POST":
        shopper.check_csrf()


@shop.app_context_processor
def _page_helpers() -> dict:
    return {
        "tr": tr,
        "lang": shopper.lang(),
        "category_name": category_name,
        "categories": CATEGORIES,
        "cart_count": shopper.cart_count(),
        "csrf_token": shopper.csrf_token,
        "csrf_field": shopper.CSRF_FIELD,
        "customer_id": shopper.customer_id(),
        "is_admin": bool(session.get("admin")),
        "admin_switch": current_app.config.get("DEMO_ADMIN_SWITCH", False),
        "shoppers": _shoppers,
    }


@shop.errorhandler(404)
def _not_found(error):
    """The shop's own page for a missing product or someone else's order.

    Registered on the shop's blueprint, not the app: an app-wide 404 handler would also answer for
    Tsuide's JSON API, since Flask prefers a handler for the status code over the plugin's for HTTPException.
    """
    return render_template("not_found.html"), 404


def _shoppers() -> list[Customer]:
    return db.session.scalars(select(Customer).order_by(Customer.id)).all()


def _local_path(target: str | None, fallback: str) -> str:
    """Only redirect within the shop, so ``next`` cannot send a shopper elsewhere (the plugin's own check)."""
    return back_url([target], request.host, fallback)


def _quantity(raw: str | None, default: int = 1) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        abort(400, description="Quantity must be a whole number.")
    return max(0, min(shopper.MAX_QUANTITY, value))


def _catalogue(ids=None) -> dict[str, Product]:
    query = select(Product).order_by(Product.position)
    if ids is not None:
        query = query.where(Product.id.in_(set(ids)))
    return {row.id: row for row in db.session.scalars(query)}


def _discount_labels(quote) -> dict[str, str]:
    """Product id -> the names of the discounts that cut its line, for the cart's per-line note."""
    labels: dict[str, list[str]] = {}
    for discount in quote.discounts:
        for units in discount.units:
            if units.amount and discount.label not in labels.setdefault(units.product_id, []):
                labels[units.product_id].append(discount.label)
    return {product_id: "・".join(names) for product_id, names in labels.items()}


def _my_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.customer_id != shopper.customer_id():
        abort(404)
    return order


# -- catalogue ---------------------------------------------------------------------------------------


@shop.get("/")
def catalogue():
    category = request.args.get("category")
    products = list(_catalogue().values())
    if category in CATEGORIES:
        products = [product for product in products if product.category == category]
    else:
        category = None
    return render_template("catalogue.html", products=products, category=category)


@shop.get("/products/<product_id>")
def product(product_id: str):
    row = db.session.get(Product, product_id) or abort(404)
    related = [p for p in _catalogue().values() if p.category == row.category and p.id != row.id][:4]
    plan = subscriptions.plan_for(row.id, 1) if row.in_stock else None
    return render_template("product.html", product=row, related=related, plan=plan,
                           plan_percent=subscriptions.CHECKOUT_PLANS.get(row.id, {}).get("discount_percent"),
                           terms=subscriptions.terms_rows(plan) if plan else [],
                           cycle=cycle_text(plan.every, plan.unit, tsuide.gettext) if plan else None)


@shop.get("/images/<product_id>.svg")
def image(product_id: str):
    row = db.session.get(Product, product_id) or abort(404)
    svg = product_svg(row.id, row.name_en, row.category, row.colour)
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@shop.get("/lang/<code>")
def language(code: str):
    if code in shopper.LANGUAGES:
        session["lang"] = code
    return redirect(_local_path(request.args.get("next"), url_for("shop.catalogue")))


# -- cart --------------------------------------------------------------------------------------------


@shop.get("/cart")
def cart():
    items = shopper.cart_items()
    # One quote prices the totals and the offers panel alike. safe=True: if the plugin fails, the page
    # still shows the cart at its own prices, without the panel (the checkout quotes strictly).
    quote = tsuide.quote(build_cart(items, shopper.customer_id()), safe=True)
    products = _catalogue(pid for pid, _ in items)
    return render_template("cart.html", quote=quote, products=products, discount_labels=_discount_labels(quote),
                           subscribed=set(shopper.subscribed()))


@shop.post("/cart/add")
def cart_add():
    row = db.session.get(Product, request.form.get("product_id", ""))
    quantity = _quantity(request.form.get("quantity"))
    back = _local_path(request.form.get("next"), url_for("shop.cart"))
    if row is None or not row.in_stock or quantity < 1:
        flash(tr("not_available"), "error")
        return redirect(back)
    on_subscription = request.form.get("purchase") == "subscription" and subscriptions.offered(row.id)
    shopper.add_items([(row.id, quantity)])
    shopper.choose_subscription(row.id, on_subscription)
    flash(tr("added_subscription" if on_subscription else "added", name=row.name(shopper.lang())), "success")
    return redirect(back)


@shop.post("/cart/update")
def cart_update():
    quantity = _quantity(request.form.get("quantity"), default=0)
    shopper.set_quantity(request.form.get("product_id", ""), quantity)
    flash(tr("cart_updated") if quantity else tr("cart_removed"), "success")
    return redirect(url_for("shop.cart"))


@shop.post("/cart/remove")
def cart_remove():
    shopper.set_quantity(request.form.get("product_id", ""), 0)
    flash(tr("cart_removed"), "success")
    return redirect(url_for("shop.cart"))


# -- checkout and orders -----------------------------------------------------------------------------


@shop.route("/checkout", methods=["GET", "POST"])
def checkout():
    items = shopper.cart_items()
    customer_id = shopper.customer_id()
    cart = build_cart(items, customer_id)
    if not cart.lines:
        return redirect(url_for("shop.cart"))
    quote = tsuide.quote(cart, with_offers=False)
    plans = subscriptions.checkout_plans(quote)  # 定期 lines: their terms come before the button
    products = _catalogue(pid for pid, _ in items)
    customer = db.session.get(Customer, customer_id)
    form = {"name": customer.name(shopper.lang()) if customer else "", "card": ""}
    errors: list[str] = []
    if request.method == "POST":
        form = {"name": request.form.get("name", "").strip(), "card": request.form.get("card", "")}
        card = re.sub(r"[\s-]", "", form["card"])
        if not form["name"]:
            errors.append(tr("name_required"))
        if not DEMO_CARD.fullmatch(card):
            errors.append(tr("card_declined"))
        if not errors and request.form.get("expected_total") not in (None, "", str(quote.total)):
            # The shopper agreed to another total (a rule changed or ran out): show the new one first.
            errors.append(tr("total_changed"))
        if not errors:
            order = place_order(
                [(line.product_id, line.quantity) for line in cart.lines], customer_id, buyer_name=form["name"],
                card_last4=card[-4:], quote=quote, lang=shopper.lang(),
            )
            try:
                tsuide.redeem(order.number, quote, customer_id)
            except CapReached as error:
                db.session.rollback()
                flash(tr("cap_reached", label=error.rule_label), "error")
                return redirect(url_for("shop.cart"))
            subscriptions.start(order, plans)
            db.session.commit()
            shopper.clear_cart()
            if plans:
                flash(tr("subscription_started"), "success")
            return redirect(url_for("shop.thanks", order_id=order.id))
    status = 400 if errors else 200
    terms = {pid: subscriptions.terms_rows(plan) for pid, plan in plans.items()}
    return render_template("checkout.html", quote=quote, products=products, form=form, errors=errors,
                           plans=plans, terms=terms), status


@shop.get("/orders/<int:order_id>/thanks")
def thanks(order_id: int):
    """The thank-you page; also ``TSUIDE_THANK_YOU_ENDPOINT``, where the plugin's e-mail block links to."""
    return render_template("thanks.html", order=_my_order(order_id))


@shop.get("/orders/<int:order_id>/email")
def order_email(order_id: int):
    """A preview of the confirmation e-mail the shop would send, with Tsuide's offer block in it."""
    order = _my_order(order_id)
    customer = db.session.get(Customer, order.customer_id) if order.customer_id else None
    return render_template("email_preview.html", order=order, recipient=customer.email if customer else None)


@shop.get("/orders")
def orders():
    rows = db.session.scalars(
        select(Order).where(Order.customer_id == shopper.customer_id()).order_by(Order.placed_at.desc())
    ).all()
    subscriptions = db.session.scalars(
        select(Subscription).where(Subscription.customer_id == shopper.customer_id()).order_by(Subscription.id.desc())
    ).all() if shopper.customer_id() else []
    return render_template("orders.html", orders=rows, subscriptions=subscriptions)


def _my_subscription(subscription_id: int) -> Subscription:
    row = db.session.get(Subscription, subscription_id)
    if row is None or row.customer_id is None or row.customer_id != shopper.customer_id():
        abort(404)
    return row


def _next_delivery(row: Subscription) -> plugin.Subscription:
    """The subscription as Tsuide sees it: the next delivery's lines at what that delivery charges."""
    at_list = tuple(plugin.CartLine(pid, quantity, price) for pid, quantity, price in row.lines)
    extras = tuple(plugin.CartLine(pid, quantity, price) for pid, quantity, price, _key in row.additions)
    return plugin.Subscription(str(row.id), priced_items(at_list, row.recurring_price) + extras,
                               row.next_delivery_on, row.customer_id)


@shop.get("/subscriptions/<int:subscription_id>")
def next_delivery(subscription_id: int):
    """The "次回のお届け" page: what comes next, and Tsuide's add-ons for that delivery."""
    row = _my_subscription(subscription_id)
    return render_template("next_delivery.html", row=row, subscription=_next_delivery(row),
                           names=_catalogue({line[0] for line in row.lines + row.additions}))


@shop.get("/subscriptions/<int:subscription_id>/email")
def next_delivery_email(subscription_id: int):
    """A preview of the delivery notice e-mail, with Tsuide's add-ons block in it."""
    row = _my_subscription(subscription_id)
    customer = db.session.get(Customer, row.customer_id) if row.customer_id else None
    return render_template("next_delivery_email.html", row=row, subscription=_next_delivery(row),
                           recipient=customer, names=_catalogue({line[0] for line in row.lines}))


# -- the demo's shopper switcher -----------------------------------------------------------------------


@shop.post("/account/switch")
def switch_shopper():
    """Shop as one of the seeded customers, or as a fresh guest. The cart is each shopper's own."""
    chosen = request.form.get("customer_id", "")
    if chosen != session.get("customer_id"):
        if chosen and db.session.get(Customer, chosen) is not None:
            session["customer_id"] = chosen
        else:
            session.pop("customer_id", None)
        shopper.clear_cart()
        session.pop("admin", None)
    return redirect(_local_path(request.form.get("next"), url_for("shop.catalogue")))


@shop.post("/account/admin")
def switch_admin():
    """Open (``admin=1``) or close Tsuide's admin for this session. Only while ``DEMO_ADMIN_SWITCH`` is on."""
    if not current_app.config.get("DEMO_ADMIN_SWITCH"):
        abort(404)
    session["admin"] = request.form.get("admin") == "1"
    if session["admin"]:
        return redirect(url_for("tsuide_admin.home"))  # opening it takes you there
    return redirect(_local_path(request.form.get("next"), url_for("shop.catalogue")))
