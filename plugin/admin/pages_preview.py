"""What the shopper would see, before the owner saves: a priced sample cart or order, and margin warnings.

The rule is built from the form's values into an unsaved row and turned into the
engine's value (``to_rule()`` / ``to_offer()``), then priced by the same engine
the checkout uses. Nothing touches the database.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from flask import current_app
from markupsafe import Markup

from ..storefront import panels as _panels
from ..engine import post_purchase as offers_engine
from ..engine.savings import saving_of
from ..storefront.thank_you import Step
from ..engine.values import Cart, CartLine, Order, Product
from ..engine.quote import quote_cart
from ..engine.money import FULL_BASIS_POINTS, percent_of
from ..engine.rules import FixedBundle, RuleBook, VolumeDiscount
from ..engine.variants import VariantSpec, apply_variant
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
            row.kind = {"bundles": "bundle", "volume-discounts": "volume", "shipping-thresholds": "shipping"}[kind.name]
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
    """The rendered panel (or ``None``) and a note for the owner on what it shows."""

    html: Markup | None
    note: str
    facts: list[tuple[str, str]]


def _as_if_live(rule):
    """Preview the rule as if it ran now, whatever its schedule, pause or caps."""
    return replace(rule, paused=False, starts_at=None, ends_at=None, global_cap=None, per_customer_cap=None)


def preview(rule) -> Preview:
    tsuide = _tsuide()
    _ = tsuide.gettext
    if isinstance(rule, offers_engine.PostPurchaseOffer):
        return _thank_you(rule)
    rule = _as_if_live(rule)
    now = datetime.now(timezone.utc)
    if isinstance(rule, FixedBundle):
        items = list(rule.items)
        products = _products(item.product_id for item in items)
        wanted = [(item.product_id, item.quantity) for item in items[:-1]]
        if len(items) == 1:
            wanted = [(items[0].product_id, items[0].quantity - 1)]
        note = _("A sample cart with the set minus one item: the shopper is offered the rest.")
    elif isinstance(rule, VolumeDiscount):
        found = _catalogue(rule.categories)
        products = _products(rule.product_ids) | {p.id: p for p in found}
        candidates = sorted((p for p in products.values() if p.in_stock), key=lambda p: (p.price, p.id))
        first = rule.tiers[0].min_quantity if rule.tiers else 2
        wanted = [(candidates[0].id, first - 1)] if candidates else []
        note = _("A sample cart one item short of the first tier.")
    else:
        products = {p.id: p for p in _catalogue_all()}
        below = [p for p in products.values() if p.price < rule.threshold]
        pick = max(below, key=lambda p: (p.price, p.id), default=None)
        wanted = [(pick.id, 1)] if pick else []
        note = _("A sample cart below the threshold.")
    lines = tuple(CartLine(pid, quantity, products[pid].price) for pid, quantity in wanted if pid in products)
    if not lines:
        return Preview(None, _("No sample cart could be made: check the product ids."), [])
    quote = quote_cart(
        Cart(lines), RuleBook((rule,)), products, now=now, currency=current_app.config["TSUIDE_CURRENCY"],
        locale=tsuide.locale(), max_offers=tsuide.setting("TSUIDE_MAX_CART_OFFERS"),
        max_gap_fillers=tsuide.setting("TSUIDE_MAX_GAP_FILLERS"),
    )
    facts = [(_("Sample cart"), ", ".join(f"{products[line.product_id].name} × {line.quantity}" for line in lines)),
             (_("Cart total"), tsuide.format_money(quote.total))]
    if isinstance(rule, FixedBundle) and all(item.product_id in products for item in rule.items):
        full = sum(products[item.product_id].price * item.quantity for item in rule.items)
        saving = saving_of(rule.mode, rule.value, full)
        facts.append((_("The whole set"), _("%(price)s instead of %(list)s", price=tsuide.format_money(full - saving),
                                            list=tsuide.format_money(full))))
    return Preview(Markup(_panels.render_cart_panel(tsuide, quote)), note, facts)


def _catalogue_all() -> list[Product]:
    tsuide = _tsuide()
    if "search_products" in tsuide.missing_features():
        return []
    return list(tsuide._adapter.search_products("", CATALOGUE_SAMPLE))


def _thank_you(offer) -> Preview:
    tsuide = _tsuide()
    _ = tsuide.gettext
    offer = replace(offer, paused=False, starts_at=None, ends_at=None, global_cap=None,
                    downsell=replace(offer.downsell, paused=False, starts_at=None, ends_at=None, global_cap=None)
                    if offer.downsell else None)
    trigger = offer.replaces or next(iter(sorted(offer.trigger_products)), None)
    extra = [p.id for p in _catalogue(offer.trigger_categories)] if trigger is None else []
    trigger = trigger or (extra[0] if extra else None)
    ids = {item.product_id for item in offer.items} | ({trigger} if trigger else set())
    if offer.downsell:
        ids |= {item.product_id for item in offer.downsell.items}
    products = _products(ids)
    if trigger not in products:
        return Preview(None, _("No sample order could be made: check the trigger products."), [])
    now = datetime.now(timezone.utc)
    line = CartLine(trigger, 1, products[trigger].price)
    order = Order("preview", (line,), None, now, line.subtotal)
    expires = now + timedelta(minutes=tsuide.setting("TSUIDE_POST_PURCHASE_MINUTES"))
    html = []
    for candidate, is_downsell in ((offer, False), (offer.downsell, True)):
        if candidate is None:
            continue
        amendment = offers_engine.price_offer(candidate, order, products)
        if amendment is None:
            continue
        step = Step("offer", order, expires, amendment, is_downsell=is_downsell, left=candidate.left())
        html.append(_panels.render_thank_you(tsuide, step))
    if not html:
        note = _("The sample order cannot take this offer: a product is unknown, out of stock or in the order.")
        return Preview(None, note, [])
    facts = [(_("Sample order"), f"{products[trigger].name} × 1"), (_("Order total"), tsuide.format_money(order.total))]
    note = _("A sample order with the trigger product; after it, the downsell shown when the offer is declined.")
    return Preview(Markup("".join(html)), note, facts)


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
    """:func:`margin_warnings` of each A/B variant that sets its own discount on a fixed bundle."""
    if not isinstance(rule, FixedBundle):
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
    return isinstance(rule, (FixedBundle, VolumeDiscount))
