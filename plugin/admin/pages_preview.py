"""What the shopper would see, before the owner saves: a priced sample cart or order, and margin warnings.

The rule is built from the form's values into an unsaved row and turned into the
engine's value (``to_rule()`` / ``to_offer()``), then priced by the same engine
the checkout uses. Nothing touches the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select
from markupsafe import Markup

from ..storefront import panels as _panels
from ..engine import post_purchase as offers_engine
from ..engine.savings import saving_of
from ..storefront.thank_you import Step
from ..engine.values import Cart, CartLine, Customer, Order, Product
from ..storefront.i18n import format_percent
from ..engine.money import FULL_BASIS_POINTS, percent_of
from ..engine.rules import BuyXGetY, FixedBundle, FreeGift, SpendDiscount, VolumeDiscount
from ..engine.variants import VariantSpec, apply_variant
from ..storage.post_purchase import PostPurchaseOffer as Row
from .records import Kind

#: Products the preview and the margin check look through when a rule names categories.
CATALOGUE_SAMPLE = 200


def _tsuide():
    return current_app.extensions["tsuide"]


def build(kind: Kind, data: dict):
    """The engine's value for validated form ``data``, from a row that is never added to the session.

    Raises :class:`~plugin.engine.rules.RuleError` with the engine's own per-field errors.
    """
    session = _tsuide()._state().db.session
    row = kind.new_row()
    with session.no_autoflush:
        try:
            kind.fill(row, {key: value for key, value in data.items() if key != "version"})
            if hasattr(row, "to_offer"):
                return row.to_offer()
            row.kind = {"bundles": "bundle", "volume-discounts": "volume", "buy-x-get-y": "buy_get",
                        "shipping-thresholds": "shipping", "spend-discounts": "spend", "free-gifts": "gift"}[kind.name]
            return row.to_rule()
        finally:
            if row in session:
                session.expunge(row)


def _catalogue(categories) -> list[Product]:
    tsuide = _tsuide()
    if not categories or "search_products" in tsuide.missing_features():
        return []
    return [p for p in tsuide._adapter.search_products("", CATALOGUE_SAMPLE) if p.category in categories]


def _products(ids) -> dict[str, Product]:
    ids = set(ids)
    return dict(_tsuide()._adapter.products(ids)) if ids else {}


@dataclass
class Preview:
    """The rendered panel (or ``None``) and a note for the owner on what it shows.

    ``sample`` is the sample cart (or order) priced, as the form's field writes it.
    """

    html: Markup | None
    note: str
    facts: list[tuple[str, str]]
    sample: str = ""


#: "brush×2" / "brush * 2" / "brush:2" / "brush x 2" / "brush 2" / "brush": a product id and a quantity.
_SAMPLE_ITEM = re.compile(r"^\s*(\S+?)\s*(?:(?:[×*:]|\s[xX]|\s)\s*(\d+))?\s*$")
MAX_SAMPLE_LINES = 20
MAX_SAMPLE_QUANTITY = 999


def parse_sample(text: str | None) -> list[tuple[str, int]]:
    """The form's sample cart as (product id, quantity) pairs; unreadable parts are skipped, ids merged."""
    wanted: dict[str, int] = {}
    for part in re.split(r"[,、\n;]+", text or ""):
        if not part.strip():
            continue
        match = _SAMPLE_ITEM.match(part)
        if not match:
            continue
        quantity = min(int(match.group(2) or 1), MAX_SAMPLE_QUANTITY)
        if quantity >= 1:
            wanted[match.group(1)] = wanted.get(match.group(1), 0) + quantity
    return list(wanted.items())[:MAX_SAMPLE_LINES]


def show_sample(wanted) -> str:
    return ", ".join(f"{pid}×{quantity}" for pid, quantity in wanted)


def _as_if_live(rule, rule_id: str | None):
    """The rule as if it ran now, whatever its schedule or pause; its caps still count, as in the shop."""
    return replace(rule, id=rule_id or "preview", paused=False, starts_at=None, ends_at=None)


def _default_cart(rule) -> tuple[list[tuple[str, int]], str]:
    """The rule's own smallest cart where a shopper meets it, of products in stock, and what it is."""
    _ = _tsuide().gettext
    if isinstance(rule, FixedBundle):
        items = list(rule.items)
        wanted = [(item.product_id, item.quantity) for item in items[:-1]]
        if len(items) == 1:
            wanted = [(items[0].product_id, items[0].quantity - 1)] if items[0].quantity > 1 else []
        return wanted, _("A sample cart with the set minus one item: the shopper is offered the rest.")
    if isinstance(rule, VolumeDiscount):
        products = _products(rule.product_ids) | {p.id: p for p in _catalogue(rule.categories)}
        candidates = sorted((p for p in products.values() if p.in_stock), key=lambda p: (p.price, p.id))
        first = rule.tiers[0].min_quantity if rule.tiers else 2
        return ([(candidates[0].id, first - 1)] if candidates else []), _("A sample cart one item short of the first tier.")
    if isinstance(rule, BuyXGetY):  # the units bought, so the panel offers the units that get the discount
        products = _products(rule.buy_product_ids) | {p.id: p for p in _catalogue(rule.buy_categories)}
        candidates = sorted((p for p in products.values() if p.in_stock), key=lambda p: (p.price, p.id))
        return (([(candidates[-1].id, rule.buy_quantity)] if candidates else []),
                _("A sample cart with the units to buy: the shopper is offered the rest of a group."))
    if isinstance(rule, FreeGift) and rule.trigger_product_ids:
        return [(sorted(rule.trigger_product_ids)[0], 1)], _("A sample cart with a product that earns the gift.")
    if isinstance(rule, FreeGift):
        threshold = rule.threshold
    elif isinstance(rule, SpendDiscount):
        threshold = rule.steps[0].threshold
    else:
        threshold = rule.threshold
    gift = getattr(rule, "gift_product_id", None)
    below = [p for p in _catalogue_all() if p.in_stock and p.price < threshold and p.id != gift]
    pick = max(below, key=lambda p: (p.price, p.id), default=None)
    return ([(pick.id, 1)] if pick else []), _("A sample cart below the threshold.")


def _in_stock(wanted, products) -> tuple[list[tuple[str, int]], list[str]]:
    """The wanted lines the shop could sell, and the ids left out (unknown or out of stock)."""
    kept = [(pid, quantity) for pid, quantity in wanted if pid in products and products[pid].in_stock]
    return kept, [pid for pid, _q in wanted if pid not in products or not products[pid].in_stock]


def preview(rule, rule_id: str | None = None, sample: str | None = None) -> Preview:
    """What the cart page (or thank-you page) would show for a sample cart with ``rule`` saved and live.

    Priced by :meth:`Tsuide._quote_as_saved`: the shop's live rules plus this one, with shipping, caps and
    the margin floor, exactly as the cart page quotes it.
    """
    tsuide = _tsuide()
    _ = tsuide.gettext
    if isinstance(rule, offers_engine.PostPurchaseOffer):
        return _thank_you(rule, rule_id, sample)
    rule = _as_if_live(rule, rule_id)
    if sample and sample.strip():
        wanted, note = parse_sample(sample), _("Your sample cart.")
    else:
        wanted, note = _default_cart(rule)
    products = _products(pid for pid, _q in wanted)
    wanted, left_out = _in_stock(wanted, products)
    if left_out:
        note += " " + _("Left out (unknown or out of stock): %(ids)s.", ids=", ".join(left_out))
    if not wanted:
        return Preview(None, _("No sample cart could be made: check the product ids."), [], sample or "")
    cart = Cart(tuple(CartLine(pid, quantity, products[pid].price) for pid, quantity in wanted))
    quote = tsuide._quote_as_saved(cart, rule)
    money = tsuide.format_money
    facts = [(_("Sample cart"), ", ".join(f"{products[pid].name} × {quantity}" for pid, quantity in wanted)),
             (_("Subtotal"), money(quote.subtotal)),
             (_("Discounts"), money(-quote.discount_total) if quote.discount_total else money(0)),
             (_("Shipping"), money(quote.shipping_fee)),
             (_("Cart total"), money(quote.total))]
    return Preview(Markup(_panels.render_cart_panel(tsuide, quote)), note, facts, show_sample(wanted))


def _catalogue_all() -> list[Product]:
    tsuide = _tsuide()
    if "search_products" in tsuide.missing_features():
        return []
    return list(tsuide._adapter.search_products("", CATALOGUE_SAMPLE))


def _sample_customer(segment: offers_engine.Segment, loyal_orders: int) -> Customer:
    orders = {offers_engine.Segment.RETURNING: 2, offers_engine.Segment.LOYAL: loyal_orders}.get(segment, 1)
    return Customer("preview", orders_count=orders)


def _thank_you(offer, rule_id: str | None, sample: str | None) -> Preview:
    """The thank-you panel a sample order gets, chosen and capped exactly as :mod:`plugin.storefront.thank_you`
    chooses: the live offers plus this one, the upsell ceiling, the order-total bounds and the segment."""
    tsuide = _tsuide()
    _ = tsuide.gettext
    live = {"paused": False, "starts_at": None, "ends_at": None}
    offer = replace(offer, id=rule_id or "preview", **live,
                    downsell=replace(offer.downsell, **live) if offer.downsell else None)
    if sample and sample.strip():
        wanted, note = parse_sample(sample), _("Your sample order.")
    else:
        trigger = offer.replaces or next(iter(sorted(offer.trigger_products)), None)
        if trigger is None:
            trigger = next((p.id for p in _catalogue(offer.trigger_categories) if p.in_stock), None)
        wanted, note = ([(trigger, 1)] if trigger else []), _("A sample order with the trigger product.")
    ids = {pid for pid, _q in wanted} | {item.product_id for item in offer.items}
    if offer.downsell:
        ids |= {item.product_id for item in offer.downsell.items}
    products = _products(ids)
    wanted, left_out = _in_stock(wanted, products)
    if left_out:
        note += " " + _("Left out (unknown or out of stock): %(ids)s.", ids=", ".join(left_out))
    if not wanted:
        return Preview(None, _("No sample order could be made: check the trigger products."), [], sample or "")
    now = datetime.now(timezone.utc)
    lines = tuple(CartLine(pid, quantity, products[pid].price) for pid, quantity in wanted)
    order = Order("preview", lines, None, now, sum(line.subtotal for line in lines))
    ratio = tsuide.setting("TSUIDE_UPSELL_MAX_RATIO")
    terms = {"now": now, "max_ratio_bp": round(ratio * FULL_BASIS_POINTS),
             "loyal_orders": tsuide.setting("TSUIDE_LOYAL_ORDERS")}
    shopper = offers_engine.Shopper(_sample_customer(offer.segment, terms["loyal_orders"]), ())
    others = [row.to_offer() for row in _live_offers() if str(row.id) != offer.id]
    products |= _products({item.product_id for other in others for item in other.items} - products.keys())
    expires = now + timedelta(minutes=tsuide.setting("TSUIDE_POST_PURCHASE_MINUTES"))
    money = tsuide.format_money
    facts = [(_("Sample order"), ", ".join(f"{products[pid].name} × {quantity}" for pid, quantity in wanted)),
             (_("Order total"), money(order.total))]
    chosen = offers_engine.choose([offer, *others], order, products, shopper, **terms)
    if chosen is None:
        return Preview(None, note + " " + _why_not(offer, order, products, ratio), facts, show_sample(wanted))
    html = [_panels.render_thank_you(tsuide, Step("offer", order, expires, chosen, left=chosen.offer.left()))]
    facts.append((_("Charged on accepting"), money(chosen.charge)))
    if chosen.plan is not None:  # a 定期 switch: what it costs per delivery and over its minimum
        facts += [(_("Price per delivery"), money(chosen.plan.recurring_price)),
                  (_("Minimum commitment"), money(chosen.plan.commitment_total))]
    if chosen.offer is not offer:
        note += " " + _("This order gets another offer, %(label)s, which comes first.", label=chosen.offer.label)
    elif offer.downsell is not None:
        downsell = offers_engine.eligible(offer.downsell, order, products, shopper, **terms)
        if downsell is not None:
            html.append(_panels.render_thank_you(tsuide, Step("offer", order, expires, downsell, is_downsell=True,
                                                              left=offer.downsell.left())))
            note += " " + _("After it, the downsell shown when the offer is declined.")
        else:
            note += " " + _("This order would not get the downsell: %(why)s",
                            why=_why_not(offer.downsell, order, products, ratio))
    return Preview(Markup("".join(html)), note, facts, show_sample(wanted))


def _live_offers():
    session = _tsuide()._state().db.session
    rows = session.scalars(select(Row).where(Row.parent_id.is_(None), Row.deleted_at.is_(None))).all()
    return [row for row in rows if not row.paused]


def _why_not(offer, order, products, ratio: float) -> str:
    """Why the thank-you page would not show ``offer`` for ``order``, in the owner's words."""
    _ = _tsuide().gettext
    money = _tsuide().format_money
    priced = offers_engine.price_offer(offer, order, products)
    if priced is None:
        return _("a product is unknown, out of stock or already in the order.")
    if offer.min_order_total is not None and order.total < offer.min_order_total:
        return _("the order is below the minimum order total (%(amount)s).", amount=money(offer.min_order_total))
    if offer.max_order_total is not None and order.total > offer.max_order_total:
        return _("the order is above the maximum order total (%(amount)s).", amount=money(offer.max_order_total))
    if not offer.triggered_by(order, products):
        return _("the order has none of its trigger products or categories.")
    if priced.charge <= 0:
        return _("accepting it would charge nothing.")
    if priced.charge * FULL_BASIS_POINTS > order.total * round(ratio * FULL_BASIS_POINTS):
        return _("it would charge %(charge)s, more than %(ratio)s of the order (the upsell ceiling).",
                 charge=money(priced.charge), ratio=format_percent(round(ratio * FULL_BASIS_POINTS)))
    return _("it is sold out.")


# -- margin ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MarginWarning:
    what: str  #: the set, or the product
    price: int  #: what it would sell for with the discount
    cost: int
    floor: int  #: cost plus the margin floor
    floor_bp: int


def _floor(cost: int, floor_bp: int) -> int:
    return -(-cost * (FULL_BASIS_POINTS + floor_bp) // FULL_BASIS_POINTS)


def margin_warnings(rule) -> list[MarginWarning]:
    """Where the discount as entered sells below cost plus the margin floor (or below cost, with no floor).

    Only products whose cost the adapter gives are checked. With a floor set the
    engine cuts the discount back to it; without one, the sale loses money.
    """
    floor_bp = rule.margin_floor_bp or 0
    found: list[MarginWarning] = []
    if isinstance(rule, FixedBundle):
        products = _products(item.product_id for item in rule.items)
        chosen = [(products.get(item.product_id), item.quantity) for item in rule.items]
        if any(product is None or product.cost is None for product, _ in chosen):
            return []
        price = sum(product.price * quantity for product, quantity in chosen)
        cost = sum(product.cost * quantity for product, quantity in chosen)
        sale = price - saving_of(rule.mode, rule.value, price)
        if sale < _floor(cost, floor_bp):
            found.append(MarginWarning(rule.label, sale, cost, _floor(cost, floor_bp), floor_bp))
    elif isinstance(rule, BuyXGetY):  # each get unit at its discount
        ids = rule.get_product_ids if not rule.same_set else rule.buy_product_ids
        categories = rule.get_categories if not rule.same_set else rule.buy_categories
        products = _products(ids) | {p.id: p for p in _catalogue(categories)}
        for product in sorted(products.values(), key=lambda p: p.id):
            if product.cost is None:
                continue
            off = percent_of(product.price, rule.value) if rule.mode.value == "percent_off" else rule.value
            sale = max(0, product.price - off)
            if sale < _floor(product.cost, floor_bp):
                found.append(MarginWarning(product.name, sale, product.cost, _floor(product.cost, floor_bp), floor_bp))
    elif isinstance(rule, VolumeDiscount) and rule.tiers:
        deepest = max(tier.percent_bp for tier in rule.tiers)
        products = _products(rule.product_ids) | {p.id: p for p in _catalogue(rule.categories)}
        for product in sorted(products.values(), key=lambda p: p.id):
            if product.cost is None:
                continue
            sale = product.price - percent_of(product.price, deepest)
            if sale < _floor(product.cost, floor_bp):
                found.append(MarginWarning(product.name, sale, product.cost, _floor(product.cost, floor_bp), floor_bp))
    return found


def variant_margin_warnings(rule, variants: list[dict]) -> list[MarginWarning]:
    """:func:`margin_warnings` of each A/B variant that sets its own discount on a fixed bundle or a buy X get Y."""
    if not isinstance(rule, (FixedBundle, BuyXGetY)):
        return []
    found: list[MarginWarning] = []
    for variant in variants:
        if variant.get("pricing_value") is None:
            continue
        priced = apply_variant(rule, VariantSpec(variant["name"], pricing_value=variant["pricing_value"]))
        found += [replace(warning, what=f"{warning.what} · {variant['name']}") for warning in margin_warnings(priced)]
    return found


def is_priced(rule) -> bool:
    """Whether the rule discounts products, so selling below cost can happen."""
    return isinstance(rule, (FixedBundle, VolumeDiscount, BuyXGetY))
