"""Pricing a cart: :func:`quote_cart`, the one function behind the widget, the cart panel and the checkout.

It takes a cart, the shop's :class:`~plugin.engine.rules.RuleBook`, the
catalogue entries it needs and the time, and returns a
:class:`~plugin.engine.values.Quote`. No Flask, no SQLAlchemy and no I/O, so a
checkout, an endpoint and a benchmark call it alike.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from . import order_rules, pricing
from .offers import CUT_SEARCHES_PER_PAGE, cart_offers, gap_fillers
from .allocation import CUT_SEARCHES, best_allocation, groups, most_groups
from .money import is_whole
from .units import Priced, Run, Terms
from .rules import (BuyXGetY, FixedBundle, FreeGift, PricingMode, Rule, RuleBook, VolumeDiscount,
                    applications_left_now, importance)
from .values import Cart, Product, Quote, QuotedLine


def quote_cart(
    cart: Cart,
    rulebook: RuleBook,
    products: Mapping[str, Product],
    *,
    now: datetime,
    currency: str = "JPY",
    customer_used: Mapping[str, int] | None = None,
    redeemed: Mapping[str, int] | None = None,
    locale: str | None = None,
    max_offers: int | None = None,
    max_gap_fillers: int = 2,
    companions: Mapping[str, Sequence[str]] | None = None,
    with_offers: bool = True,
    margin_floor_bp: int | None = None,
    max_added_ratio_bp: int | None = None,
    _groups: dict | None = None,
    _ladder: bool = True,
) -> Quote:
    """Price ``cart`` under the rules live at ``now``, with the best discounts for the shopper.

    ``products`` holds the catalogue entries for the cart's products (their
    categories and costs) and for the products offers may suggest.
    ``customer_used`` counts this shopper's past applications of capped rules,
    ``redeemed`` every shopper's applications of "first N" rules (fresher than
    the rules' own ``redeemed``). ``companions`` names, for a cart product, the
    products often bought with it (mined from past orders): they are offered,
    and may close the free-shipping gap. ``margin_floor_bp`` is the shop-wide
    floor for rules that set none. ``max_added_ratio_bp`` (basis points of the
    subtotal, ``None`` for no ceiling) bounds what an offer or gap filler adds to
    the cart at list price. ``now`` must be timezone-aware.

    The carts offers and gap fillers would make are quoted with ``_ladder=False``: only their totals,
    discounts and shipping are read, so the spend ladder, which only the cart's own quote shows, and the lines
    (``Quote.lines`` is empty) are left out.
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if max_offers is not None and (not is_whole(max_offers) or max_offers < 0):
        raise ValueError("max_offers must be a whole number, zero or more")
    if not is_whole(max_gap_fillers) or max_gap_fillers < 0:
        raise ValueError("max_gap_fillers must be a whole number, zero or more")
    if margin_floor_bp is not None and (not is_whole(margin_floor_bp) or margin_floor_bp < 0):
        raise ValueError("margin_floor_bp must be a whole number of basis points, zero or more")
    if max_added_ratio_bp is not None and (not is_whole(max_added_ratio_bp) or max_added_ratio_bp < 0):
        raise ValueError("max_added_ratio_bp must be a whole number of basis points, zero or more")
    customer_used = customer_used or {}
    redeemed = redeemed or {}
    lines = cart.lines
    rows = pricing.rows_of(lines)
    categories: dict[str, str | None] = {}
    costs: dict[str, int | None] = {}
    for pid in rows:
        product = products.get(pid)
        categories[pid], costs[pid] = (None, None) if product is None else (product.category, product.cost)
    # The carts offers make share this quote's rules and terms, so a group of rules they leave alone is
    # priced once for all of them, and each rule's schedule, cap and order of importance, and the live order
    # rules, are read once (``_groups``: the quotes of one page, at one moment, for one shopper).
    cache = {} if _groups is None else _groups
    checked = cache.get("live")  # rule id -> applications left, or 0 when not live
    if checked is None:
        checked = cache["live"] = {}
    ranks = cache.get("importance")  # rule id -> its key of :func:`importance`, for the quotes of one page
    if ranks is None:
        ranks = cache["importance"] = {}
    limits: dict[str, int | None] = {}
    live: list[Rule] = []
    touching = rulebook.touching(rows, set(categories.values()))
    if len(touching) > 1:
        for rule in touching:
            if rule.id not in ranks:
                ranks[rule.id] = importance(rule)
        touching.sort(key=lambda rule: ranks[rule.id])
    for rule in touching:
        left = checked[rule.id] if rule.id in checked else applications_left_now(rule, now, customer_used, redeemed,
                                                                                 checked)
        if left != 0:
            live.append(rule)
            limits[rule.id] = left
    terms = Terms(
        costs=costs,
        categories=categories,
        limits=limits,
        default_floor_bp=margin_floor_bp,
    )
    item_rules = [rule for rule in live if isinstance(rule, (FixedBundle, BuyXGetY, VolumeDiscount))]
    # Only a rule that can take units of the cart on its own ever discounts it: one that cannot is left out of the
    # quote, as is a bundle that saves nothing; the list price of the cart's units the rest count bounds what any
    # allocation saves. With none left, nothing is allocated, searched or given up.
    grouped = None
    if item_rules:
        units = {pid: row[0].count if len(row) == 1 else sum([run.count for run in row]) for pid, row in rows.items()}
        item_rules = [rule for rule in item_rules if _applies(rule, rows, units, terms)
                      and not _saves_nothing(rule, rows, terms)]
        grouped = groups(rows, item_rules, terms) if item_rules else None
    order_live: list[Rule] = []
    if lines:  # the same for every quote of a page (its moment, shopper and currency): listed once
        order_live = cache.get(("order rules", currency))
        if order_live is None:
            order_live = cache[("order rules", currency)] = order_rules.live_order_rules(
                rulebook, currency, now, customer_used, redeemed, checked)
    # Shipping counts the order after item discounts and gifts: where one can cost a fee step, the fee it saves
    # is weighed with the order rules, so the shopper's total, shipping included, decides.
    line_totals = [line.quantity * line.unit_price for line in lines]  # each line's subtotal
    subtotal = sum(line_totals)
    gifts = any(isinstance(rule, FreeGift) for rule in order_live)
    charged = cache.get("shipping", False)  # the threshold the quote charges by, picked once with its offers
    if charged is False:
        charged = cache["shipping"] = pricing.charged_threshold(rulebook, currency, now)
    shipping = order_rules.weighed_shipping(charged, subtotal) if lines and (item_rules or gifts) else None
    priced = None
    if shipping is not None:
        # Gifts take at most the dearest unit of their product each.
        gifted = sum(max((run.price for run in rows.get(rule.gift_product_id, ())), default=0)
                     for rule in order_live if isinstance(rule, FreeGift)) if gifts else 0
        fee = shipping.fee_at(subtotal)
        # The fee only rises as the counted amount falls: when the most the item rules could save costs no step,
        # what they do save costs none either, and the cart need not be allocated to know it.
        reach = _reached_price(rows, item_rules, terms) if item_rules else 0
        if shipping.fee_at(subtotal - reach - gifted) == fee:
            shipping = None
        else:
            priced = best_allocation(rows, item_rules, terms, cache=cache, found_groups=grouped)
            if shipping.fee_at(subtotal - priced.saving - gifted) == fee:
                shipping = None  # the item discounts and gifts cost no fee step: nothing to weigh
    weighed = order_live
    if shipping is not None:  # built once for the cart and the carts its offers make
        saved = cache.get(("shipping saved", shipping.id))
        if saved is None:
            saved = cache[("shipping saved", shipping.id)] = order_rules.ShippingSaved.of(shipping)
        weighed = order_live + [saved]
    if weighed:  # spend discounts, gifts and shipping: priced on what the item rules leave (see order_rules)
        priced = order_rules.best_with_order_rules(rows, item_rules, weighed, terms, products, cache, grouped)
        spend_saving = priced.spend_saving
    elif sum(1 for rule in item_rules if rule.stackable) > 1 and order_rules.stacked_ahead(rows, item_rules, terms):
        # A stackable rule ahead of another is given up where that saves more (the order rules' give-up, 3.)
        priced = order_rules.best_with_order_rules(rows, item_rules, [], terms, products, cache, grouped)
        spend_saving = 0
    elif item_rules:
        priced = priced or best_allocation(rows, item_rules, terms, cache=cache, found_groups=grouped)
        spend_saving = 0
    else:  # no rule can take a unit: every line at its own price
        priced = Priced(rows, [])
        spend_saving = 0
    discounts = tuple([pricing.discount_of(booking, locale) for booking in priced.bookings])

    discount_total = sum([discount.amount for discount in discounts])
    # Shipping counts the order after item discounts and gifts, before spend discounts: one ladder of rewards.
    fee, progress = pricing.shipping(charged, subtotal, discount_total - spend_saving, bool(lines),
                                     locale)
    rungs = ()
    if order_live and _ladder:  # restraint: a reward further away than an offer may add is not named
        ceiling = None if max_added_ratio_bp is None else subtotal * max_added_ratio_bp // 10_000
        rungs = order_rules.ladder(priced, order_live, products, locale, ceiling)
    quoted_lines = ()  # a suggestion's cart is read for its totals, discounts and shipping, never line by line
    if _ladder:
        cuts = pricing.line_discounts(lines, priced.runs)
        quoted_lines = tuple([
            QuotedLine(line.product_id, line.quantity, line.unit_price, line_total, cut, line_total - cut)
            for line, line_total, cut in zip(lines, line_totals, cuts)
        ])
    quote = Quote(currency, quoted_lines, subtotal, discounts, fee, progress, ladder=rungs)
    if not with_offers:
        return quote

    quoted: dict[tuple, Quote] = {}  # the carts already quoted for an offer, a gift or a gap filler

    def price_with(additions: list[tuple[Product, int]]) -> Quote | None:
        """The quote of this cart plus ``additions``: each cart quoted once, however many suggestions make it
        (rules that all lack the same items, a gap filler that is also a bought-together product).

        ``None`` once the page's quotes (this one included) have run :data:`.offers.CUT_SEARCHES_PER_PAGE` group
        searches to their budget: a cart that hard to price gets no more suggestions quoted, and the callers keep
        those found so far (``docs/engine.md``, "Bounded work")."""
        key = tuple((product.id, product.price, quantity) for product, quantity in additions)
        found = quoted.get(key)
        if found is None:
            if cache.get(CUT_SEARCHES, 0) >= CUT_SEARCHES_PER_PAGE:
                return None
            found = quoted[key] = _price_with(additions)
        return found

    def _price_with(additions: list[tuple[Product, int]]) -> Quote:
        return quote_cart(
            cart.adding(additions),
            rulebook,
            products,
            now=now,
            currency=currency,
            customer_used=customer_used,
            redeemed=redeemed,
            locale=locale,
            with_offers=False,
            margin_floor_bp=margin_floor_bp,
            _groups=cache,
            _ladder=False,  # read for its totals, discounts and shipping only: its own ladder is never shown
        )

    companions = companions or {}
    max_added = None if max_added_ratio_bp is None else subtotal * max_added_ratio_bp // 10_000
    # An earned gift not yet in the cart comes first: it costs nothing. The rule offers fill the places left, so
    # none is quoted only to be cut.
    offers = (order_rules.gift_offers(cart, quote, order_live, products, price_with, locale, max_added)
              if order_live else [])
    room = None if max_offers is None else max(0, max_offers - len(offers))
    offers += cart_offers(cart, quote, live, products, price_with, locale, companions, room, max_added, order_live,
                          limits, rulebook)
    fillers = gap_fillers(cart, quote, live, products, price_with, max_gap_fillers, companions, max_added)
    return Quote(currency, quoted_lines, subtotal, discounts, fee, progress,
                 offers=tuple(offers[:max_offers] if max_offers is not None else offers), gap_fillers=tuple(fillers),
                 ladder=rungs)



def _applies(rule: Rule, rows: Mapping[str, Sequence[Run]], units: Mapping[str, int], terms: Terms) -> bool:
    """Whether item rule ``rule`` can apply to the cart on its own: a bundle forms a set, a buy-X-get-Y a complete
    group, a volume discount reaches a tier, caps included (``units``: the cart's units per product). One that
    cannot form an application from all of the cart's units forms none in any allocation, alone or stacked, saves
    nothing and uses no unit (``docs/engine.md``, "A rule that cannot apply is not allocated")."""
    if isinstance(rule, FixedBundle):
        for item in rule.items:
            if units.get(item.product_id, 0) < item.quantity:
                return False
        # One set fits: its caps too (none, for most bundles: then one set is enough)
        return (rule.units_cap is None and terms.limits.get(rule.id) is None) or terms.max_sets(rule, units) > 0
    if isinstance(rule, VolumeDiscount):
        return rule.tier_for(sum([units[pid] for pid in terms.counted(rule, rows)])) is not None
    return most_groups(rule, rows, terms) > 0


def _saves_nothing(rule: Rule, rows: Mapping[str, Sequence[Run]], terms: Terms) -> bool:
    """Whether ``rule`` is a fixed-price bundle, not exclusive, whose price is at least what its sets cost on the
    dearest units of the cart for every count of sets the cart and its caps allow: it saves nothing itself (stacked,
    on a price left no higher than the list price, neither), so it is left out of the quote, item search, order
    rules' menus and give-ups alike (``docs/engine.md``, "Bounded work"). An exclusive one is kept: the units it
    locks change what a spend discount or a later stackable rule may take."""
    if not isinstance(rule, FixedBundle) or rule.mode is not PricingMode.FIXED_PRICE or rule.exclusive:
        return False
    dearest: dict[str, list[int]] = {}  # product -> the prices of its units, dearest first
    for item in rule.items:
        prices = dearest[item.product_id] = []
        for run in rows.get(item.product_id, ()):
            prices.extend([run.price] * run.count)
    most = terms.max_sets(rule, {pid: len(prices) for pid, prices in dearest.items()})
    return all(sum([sum(dearest[item.product_id][:item.quantity * sets]) for item in rule.items]) <= rule.value * sets
               for sets in range(1, most + 1))


def _reached_price(rows: Mapping[str, Sequence[Run]], rules: Sequence[Rule], terms: Terms) -> int:
    """The list price of the cart's units ``rules`` (those that can apply) count: what any allocation saves at most
    (no unit is discounted below nothing)."""
    reached: set[str] = set()
    for rule in rules:
        reached.update(rule.product_ids if isinstance(rule, FixedBundle) else terms.counted(rule, rows))
    return sum([run.price * run.count for pid in reached for run in rows[pid]])
