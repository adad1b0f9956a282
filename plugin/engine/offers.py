"""What to suggest on a cart page: nudges toward rules the cart touches, and free-shipping gap fillers.

Every figure shown comes from quoting the cart the suggestion would make
(``price_with``), never from an estimate. Only products the shop says are in
stock are suggested, and only products related to the cart: named by a live
rule that touches it. A product already in the cart comes back only as more
of the same toward a multi-buy set or tier ("2 more bags for the 3-bag set"),
never as a cross-sell.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from itertools import islice

from .values import Cart, CartLine, GapFiller, Offer, Product, Quote
from .money import percent_of
from .rules import (BuyXGetY, FixedBundle, FreeGift, PricingMode, Rule, RuleBook, SpendDiscount, VolumeDiscount,
                    VolumeTier)
from .units import group_walk

#: The quote of the cart plus these additions, or ``None`` once the page may quote no more (stop asking).
PriceWith = Callable[[list[tuple[Product, int]]], Quote | None]

#: A gap filler may cost at most this many times what is missing: close the gap, don't overshoot far.
MAX_OVERSHOOT_RATIO = 2
#: Candidates priced by quoting before the best gap fillers are picked.
GAP_CANDIDATES = 8
#: Rule offers quoted at most per cart, in the order of their upper bound: bounded work for any rule set.
OFFER_CANDIDATES = 4
#: Group searches run to their budget, over a page's quotes (the cart's own first), after which no more carts are
#: quoted for its suggestions (``price_with`` answers ``None``): a cart whose rules overlap that much is priced
#: once or twice in full, not once per offer, gift, gap filler and companion.
CUT_SEARCHES_PER_PAGE = 2


class _CartView:
    """What the candidates of one cart's offers all read, worked out once for them: the cart's units by (product,
    unit price), its products, its list price and units per product, the in-stock products cheapest first, and
    per rule what it counts of the cart for the saving bound (:func:`_saving_bound`)."""

    def __init__(self, cart: Cart, products: Mapping[str, Product]):
        self.cart = cart
        self.products = products
        self.in_cart = {line.product_id for line in cart.lines}
        self.value, self.count = _per_product(cart)
        self.cheapest_first: list[Product] | None = None
        self.counted: dict[str, tuple[int, int]] = {}  # rule id -> (list price it counts, of which get units)
        self.by_category: dict[str | None, list[str]] | None = None  # category -> the cart's products in it

    @cached_property
    def units(self) -> dict[tuple[str, int], int]:
        """The cart's units counted by (product, unit price) (:func:`_units_by_price`)."""
        return _units_by_price(self.cart)

    def cheapest(self, test: Callable[[str, str | None], bool]) -> Product | None:
        """The cheapest in-stock product ``test`` accepts (ties by id), one not in the cart if there is one:
        ``min(fresh or eligible, key=(price, id))``."""
        if self.cheapest_first is None:
            self.cheapest_first = sorted((p for p in self.products.values() if p.in_stock),
                                         key=lambda p: (p.price, p.id))
        first = None
        for product in self.cheapest_first:
            if test(product.id, product.category):
                if product.id not in self.in_cart:
                    return product
                if first is None:
                    first = product
        return first

    def units_counted(self, rule: VolumeDiscount) -> int:
        """The cart's units of the products (known to ``products``) volume discount ``rule`` counts: read from the
        cart's products by category, so a rule of two categories costs their products, not the whole cart."""
        by_category = self.by_category
        if by_category is None:
            by_category = self.by_category = {}
            for pid in self.count:
                product = self.products.get(pid)
                if product is not None:
                    by_category.setdefault(product.category, []).append(pid)
        count = self.count
        units = 0
        for category in rule.categories:
            for pid in by_category.get(category, ()):
                units += count[pid]
        for pid in rule.product_ids:  # a product named and in a counted category is counted once
            if pid in count and pid in self.products and self.products[pid].category not in rule.categories:
                units += count[pid]
        return units

    def counted_by(self, rule: Rule) -> tuple[int, int]:
        """The list price of the cart's units ``rule`` counts (a volume: its products; a buy-X-get-Y: its buy and
        get products), and of those a buy-X-get-Y may take as get units."""
        found = self.counted.get(rule.id)
        if found is None:
            products = self.products
            price = gets = 0
            for pid, value in self.value.items():
                product = products.get(pid)
                if product is None:
                    continue
                if isinstance(rule, VolumeDiscount):
                    if rule.counts(pid, product.category):
                        price += value
                elif rule.gets(pid, product.category):
                    price += value
                    gets += value
                elif rule.buys(pid, product.category):
                    price += value
            found = self.counted[rule.id] = (price, gets)
        return found


def additions_for(
    rule: Rule, cart: Cart, products: Mapping[str, Product], view: _CartView | None = None
) -> tuple[list[tuple[Product, int]], VolumeTier | None] | None:
    """What adding ``rule``'s offer puts in the cart, or ``None`` when nothing available would.

    For a bundle: the items the cart lacks. For a volume discount: enough units
    of the cheapest in-stock product of the collection to reach the next tier,
    preferring one the cart does not hold yet. For a buy-X-get-Y: the fewest
    units that form one more group (:func:`_one_more_group`). ``view``: the cart's :class:`_CartView`, when the
    caller asks for several rules.
    """
    if isinstance(rule, FixedBundle):
        missing = []
        for item in rule.items:
            short = item.quantity - cart.quantity_of(item.product_id)
            if short > 0:
                product = products.get(item.product_id)
                if product is None or not product.in_stock:
                    return None
                missing.append((product, short))
        return (missing, None) if missing else None
    if isinstance(rule, FreeGift):  # one unit of the gift, in stock and not in the cart yet
        product = products.get(rule.gift_product_id)
        if product is None or not product.in_stock or cart.quantity_of(product.id):
            return None
        return [(product, 1)], None
    if isinstance(rule, VolumeDiscount):
        counted = (view or _CartView(cart, products)).units_counted(rule)
        target = rule.next_tier(counted)
        if target is None:
            return None
        pick = (view or _CartView(cart, products)).cheapest(rule.counts)
        return ([(pick, target.min_quantity - counted)], target) if pick else None
    if isinstance(rule, BuyXGetY):
        return _one_more_group(rule, cart, products, view)
    return None


def gets_of(rule: Rule) -> tuple[int, str, int] | None:
    """A buy-X-get-Y's get units per group and their discount (units, mode, value), for its copy."""
    if isinstance(rule, BuyXGetY):
        return (rule.get_quantity, rule.mode.value, rule.value)
    return None


def units_for_one_more(rule: BuyXGetY, cart: Cart, product: Product, products: Mapping[str, Product]) -> int | None:
    """The fewest units of ``product`` that let the cart form one more group of ``rule``, or ``None``."""
    units = _units_by_price(cart)
    now = groups_in(rule, units, products)
    if rule.units_cap is not None and now >= rule.units_cap:
        return None
    for count in range(1, rule.buy_quantity + rule.get_quantity + 1):
        more = dict(units)
        more[product.id, product.price] = more.get((product.id, product.price), 0) + count
        if groups_in(rule, more, {**products, product.id: product}) > now:
            return count
    return None


def _units_by_price(cart: Cart) -> dict[tuple[str, int], int]:
    """The cart's units counted by (product, unit price), as :func:`groups_in` reads them."""
    units: dict[tuple[str, int], int] = defaultdict(int)
    for line in cart.lines:
        units[line.product_id, line.unit_price] += line.quantity
    return units


def groups_in(rule: BuyXGetY, units: Mapping[tuple[str, int], int], products: Mapping[str, Product]) -> int:
    """The groups ``rule`` forms from ``units`` ((product, unit price) -> count) alone, by the walk of
    ``docs/engine.md`` (other rules and caps aside): what an offer counts to propose one more."""
    return group_walk(rule, _member_runs(rule, units, products), rule.units_cap)[0]


def _member_runs(rule: BuyXGetY, units: Mapping[tuple[str, int], int], products: Mapping[str, Product]) -> list:
    """The runs of ``units`` that ``rule`` may take, as :func:`.units.group_walk` reads them, in price order."""
    runs = []
    for (pid, price), count in units.items():
        product = products.get(pid)
        category = product.category if product else None
        buy, get = rule.buys(pid, category), rule.gets(pid, category)
        if buy or get:
            runs.append((-price, pid, -price, count, buy, get))
    runs.sort()
    return runs


def _walk_counts(rule: BuyXGetY, runs: Iterable, state: tuple[int, int, int, int]) -> tuple[tuple, bool]:
    """The walk of :func:`.units.group_walk` over ``runs`` (:func:`_member_runs`), from ``state`` (buy units pending,
    get places open, groups opened, get units placed), counting only: the state after them, and whether the walk
    stopped there (its cap reached, no place open). Complete groups: get units placed // get units per group."""
    need_buy, need_get, limit = rule.buy_quantity, rule.get_quantity, rule.units_cap
    pending, places, groups, gets = state
    for entry in runs:
        count, buy, get = entry[3], entry[4], entry[5]
        while count:
            if places and get:
                units = count if count < places else places
                places -= units
                gets += units
            elif buy and (limit is None or groups < limit):
                units = need_buy - pending
                if count < units:
                    units = count
                pending += units
                if pending == need_buy:
                    pending, groups, places = 0, groups + 1, places + need_get
            else:
                break
            count -= units
        if limit is not None and groups >= limit and not places:
            return (pending, places, groups, gets), True
    return (pending, places, groups, gets), False


def _one_more_group(rule: BuyXGetY, cart: Cart, products: Mapping[str, Product], view: _CartView | None = None):
    """The fewest units of one product that let the cart form one more group of ``rule``: the cheapest in-stock
    product of the get set or of the buy set (the get set first on a tie), preferring one not in the cart.

    The groups with ``n`` more units of a product are counted by walking the cart's runs dearer than it once, then
    from there the product's units and the cheaper runs for each ``n``."""
    view = view or _CartView(cart, products)
    if rule.same_set:  # every unit may buy and get: the walk forms a group of every buy + get units, in any order
        size = rule.buy_quantity + rule.get_quantity
        held = 0
        for (pid, _), count in view.units.items():
            product = products.get(pid)
            if rule.buys(pid, product.category if product else None):
                held += count
        if rule.units_cap is not None and held // size >= rule.units_cap:
            return None
        pick = view.cheapest(rule.gets)
        return ([(pick, size - held % size)], None) if pick is not None else None
    runs = _member_runs(rule, view.units, products)
    start = (0, 0, 0, 0)
    now = _walk_counts(rule, runs, start)[0][3] // rule.get_quantity
    if rule.units_cap is not None and now >= rule.units_cap:
        return None
    picks = []
    for test in (rule.gets, rule.buys):
        pick = view.cheapest(test)
        if pick is not None and pick not in picks:
            picks.append(pick)
    best = None
    for order, pick in enumerate(picks):
        buy, get = rule.buys(pick.id, pick.category), rule.gets(pick.id, pick.category)
        at = bisect_left(runs, (-pick.price, pick.id))  # where its units stand in walk order
        same = at < len(runs) and runs[at][1] == pick.id and runs[at][0] == -pick.price  # units there already
        before, stopped = _walk_counts(rule, islice(runs, at), start)
        held = runs[at][3] if same else 0
        for count in range(1, rule.buy_quantity + rule.get_quantity + 1):
            if best is not None and count >= best[0]:
                break
            state = before
            if not stopped:
                state, ended = _walk_counts(rule, ((None, None, None, held + count, buy, get),), state)
                if not ended:
                    state = _walk_counts(rule, islice(runs, at + 1 if same else at, None), state)[0]
            if state[3] // rule.get_quantity > now:
                best = (count, order, pick)
                break
    return ([(best[2], best[0])], None) if best else None


def cart_offers(
    cart: Cart, quote: Quote, live: list[Rule], products: Mapping[str, Product], price_with: PriceWith,
    locale: str | None, companions: Mapping[str, Sequence[str]] | None = None, max_offers: int | None = None,
    max_added: int | None = None, order_rules: Sequence[Rule] = (), limits: Mapping[str, int | None] | None = None,
    rulebook: RuleBook | None = None,
) -> list[Offer]:
    """Nudges toward live rules the cart touches but does not yet get, ranked by what they save;
    then products often bought with the cart's (mined from past orders), which may save nothing.

    Every figure, and the tier an offer names, comes from quoting the cart it would make. Candidates are
    quoted in the order of a cheap upper bound on their saving; once ``max_offers`` offers are found
    that no unquoted candidate could beat, the rest are not quoted. With ``max_added``, an offer whose
    additions cost more than that at list price is dropped before it is quoted (restraint: a ¥1,500 cart is
    not first offered ¥12,000 of shoes). ``order_rules`` are the live spend discounts and gifts: what a cart
    gains from them counts in an offer's saving, so it counts in the bound too. ``limits`` (rule id -> the
    applications its caps leave this shopper, ``None`` for no limit) drops, before it is quoted, a buy-X-get-Y
    offer whose rule already gets every group its caps leave: no cart can get it one more. ``rulebook`` holds the
    rules that touch no product of the cart (not in ``live``), which an offer's cart may bring in: an added product
    one of them may discount counts in its bound at its list price (:func:`_beyond_cart`).
    """
    if max_offers == 0:
        return []
    applied = {discount.rule_id: discount.applications for discount in quote.discounts}
    limits = limits or {}
    touching_product: dict[str, list[Rule]] = {}  # product -> the live rules that count it, in order

    def touching(product: Product) -> list[Rule]:
        found = touching_product.get(product.id)
        if found is None:
            pid = product.id  # :func:`_touches` of this one product, a bundle's read from its items directly
            found = touching_product[pid] = [
                other for other in live
                if (pid in other.product_ids if isinstance(other, FixedBundle) else _touches(other, {pid}, products))]
        return found

    view = _CartView(cart, products)
    bounds: dict[tuple, int] = {}
    wanted = []
    for rule in live:
        if isinstance(rule, FixedBundle) and rule.id in applied:  # a shortcut: additions_for would find nothing missing
            continue
        if isinstance(rule, BuyXGetY) and at_cap(applied.get(rule.id, 0), limits.get(rule.id)):
            continue  # the cart gets every group the caps leave: the offer's cart cannot get one more
        found = additions_for(rule, cart, products, view)
        if found is None:
            continue
        additions, _ = found
        if _within(additions, max_added):
            wanted.append((rule, additions))
    beyond = _beyond_cart(wanted, rulebook, live, view)
    candidates = []
    for rule, additions in wanted:
        key = (((additions[0][0].id, additions[0][1]),) if len(additions) == 1
               else tuple(sorted([(product.id, quantity) for product, quantity in additions])))
        bound = bounds.get(key)
        if bound is None:  # rules needing the same additions share their bound
            touched: dict[str, Rule] = {}
            for product, _ in additions:
                for other in touching(product):
                    touched[other.id] = other
            bound = bounds[key] = (_saving_bound(cart, additions, list(touched.values()), products, view)
                                   + _order_bound(order_rules, cart, quote, additions)
                                   + _beyond_bound(additions, beyond))
        candidates.append((bound, rule, additions))
    order = {rule.id: index for index, rule in enumerate(live)}  # ``live`` is in order of importance
    candidates.sort(key=lambda candidate: (-candidate[0], order[candidate[1].id]))
    offers: list[Offer] = []
    for bound, rule, additions in candidates[:OFFER_CANDIDATES]:
        if max_offers is not None and len(offers) >= max_offers and (
                offers[max_offers - 1].saving, -order[offers[max_offers - 1].rule_id]) > (bound, -order[rule.id]):
            break  # no candidate left can beat the offers that will be shown, ties by importance included
        after = price_with(additions)
        if after is None:  # the page quotes no more carts (a hard cart): the offers found stand
            break
        saving = after.discount_total - quote.discount_total
        reached = next((discount for discount in after.discounts if discount.rule_id == rule.id), None)
        if saving <= 0 or reached is None:
            continue
        if isinstance(rule, BuyXGetY):  # the cart it makes must get one more group than this one
            if reached.applications <= applied.get(rule.id, 0):
                continue
        offers.append(
            Offer(
                kind="complete_bundle" if isinstance(rule, FixedBundle) else (
                    "buy_get" if isinstance(rule, BuyXGetY) else "reach_tier"),
                rule_id=rule.id,
                label=rule.label_for(locale),
                add=tuple(CartLine(product.id, quantity, product.price) for product, quantity in additions),
                added_price=sum(product.price * quantity for product, quantity in additions),
                saving=saving,
                new_total=after.total,
                tier=reached.tier,
                products=tuple(product for product, _ in additions),
                gets=gets_of(rule),
                max_units=rule.max_units,
            )
        )
        offers.sort(key=lambda offer: (-offer.saving, order[offer.rule_id]))
    if max_offers is not None and len(offers) >= max_offers:
        return offers
    return offers + _bought_together(cart, quote, products, price_with, companions or {}, offers, max_offers,
                                     max_added)


def at_cap(applications: int, left: int | None) -> bool:
    """Whether a rule that gets ``applications`` in a quote gets every one its caps leave (``left``, ``None`` for no
    limit): a quote never gives a rule more than that, so no offer can get it one more."""
    return left is not None and applications >= left


def _within(additions: Iterable[tuple[Product, int]], max_added: int | None) -> bool:
    """Whether ``additions`` cost at most ``max_added`` at list price (always, without a ceiling)."""
    return max_added is None or sum(product.price * quantity for product, quantity in additions) <= max_added


def _touches(rule: Rule, product_ids: set[str], products: Mapping[str, Product]) -> bool:
    if isinstance(rule, FixedBundle):
        return not rule.product_ids.isdisjoint(product_ids)
    if isinstance(rule, VolumeDiscount):
        return any(pid in products and rule.counts(pid, products[pid].category) for pid in product_ids)
    if isinstance(rule, BuyXGetY):
        return any(pid in products and (rule.buys(pid, products[pid].category) or rule.gets(pid, products[pid].category))
                   for pid in product_ids)
    return False


def _saving_bound(cart: Cart, additions: list[tuple[Product, int]], live: list[Rule],
                  products: Mapping[str, Product], view: _CartView | None = None) -> int:
    """At most how much more adding ``additions`` can save: only a rule that counts an added product can
    gain, and none saves more than its rate of the price of every unit of the new cart it counts.

    ``view`` is the cart's :class:`_CartView` (its list price and units per product, and what each rule counts
    of them), worked out once for every candidate of a quote: a rule's price is what it counts of the cart plus
    what it counts of the additions.
    """
    view = view or _CartView(cart, products)
    base_value, base_units = view.value, view.count
    added_value: dict[str, int] = {}
    added_units: dict[str, int] = {}
    for product, quantity in additions:
        added_value[product.id] = added_value.get(product.id, 0) + product.price * quantity
        added_units[product.id] = added_units.get(product.id, 0) + quantity
    added = [(pid, products[pid].category if pid in products else None, price) for pid, price in added_value.items()]
    bound = 0
    for rule in live:
        if isinstance(rule, FixedBundle):
            if rule.product_ids.isdisjoint(added_value):
                continue
            price = 0
            sets = None  # the sets the new cart holds (an amount off saves its amount a set at most)
            for item in rule.items:  # one item a product
                pid = item.product_id
                price += base_value.get(pid, 0) + added_value.get(pid, 0)
                held = (base_units.get(pid, 0) + added_units.get(pid, 0)) // item.quantity
                if sets is None or held < sets:
                    sets = held
            if rule.mode is PricingMode.PERCENT_OFF:
                price = percent_of(price, rule.value)
            elif rule.mode is PricingMode.AMOUNT_OFF and rule.value * sets < price:
                price = rule.value * sets
        elif isinstance(rule, VolumeDiscount):
            extra = [price for pid, category, price in added if pid in products and rule.counts(pid, category)]
            if not extra:
                continue
            price = percent_of(view.counted_by(rule)[0] + sum(extra), rule.tiers[-1].percent_bp)
        elif isinstance(rule, BuyXGetY):  # at most its rate of every get unit (an amount off: their price)
            touches = False
            price = view.counted_by(rule)[1]
            for pid, category, value in added:
                if pid in products:
                    if rule.gets(pid, category):
                        touches = True
                        price += value
                    elif rule.buys(pid, category):
                        touches = True
            if not touches:
                continue
            if rule.mode is PricingMode.PERCENT_OFF:
                price = percent_of(price, rule.value)
        else:
            continue
        bound += price
    return bound


def _beyond_cart(wanted: list[tuple[Rule, list[tuple[Product, int]]]], rulebook: RuleBook | None,
                 live: list[Rule], view: _CartView) -> set[str]:
    """The products not in the cart that the candidates add and that an item rule of ``rulebook`` not in ``live``
    may discount: one look-up in its indexes, and the rules it finds (seldom any). Such a rule touches none of the
    cart's products (``live`` holds every live rule that does), or is not live (it saves nothing: counting it only
    loosens the bound)."""
    added = {product.id: product for _, additions in wanted for product, _ in additions
             if product.id not in view.in_cart}
    if rulebook is None or not added:
        return set()
    known = {rule.id for rule in live}
    others = [rule for rule in rulebook.touching(added, {product.category for product in added.values()})
              if rule.id not in known]
    if not others:
        return set()
    found = set()
    for rule in others:
        if isinstance(rule, FixedBundle):
            found |= rule.product_ids.intersection(added)
        else:
            found |= {pid for pid, product in added.items() if _touches(rule, {pid}, {pid: product})}
    return found


def _beyond_bound(additions: list[tuple[Product, int]], beyond: set[str]) -> int:
    """At most how much the item rules that touch none of the cart's products save on the cart with
    ``additions``: such a rule counts added units only, and no unit is discounted below nothing, so together at
    most the list price of the added units one of them may discount (``beyond``, :func:`_beyond_cart`)."""
    return sum(product.price * quantity for product, quantity in additions if product.id in beyond)


def _order_bound(order_rules: Sequence[Rule], cart: Cart, quote: Quote, additions: list[tuple[Product, int]]) -> int:
    """At most how much more the spend discounts and gifts can save on the cart with ``additions``.

    The best total may give item savings up to reach a spend step, but never more than the step gains, so the
    item bound plus this one bounds the whole gain: each spend discount at most its best step reached by the new
    cart's list subtotal (the most it counts), each gift not yet earned at most one unit of its product.
    """
    if not order_rules:
        return 0
    subtotal = quote.subtotal  # the cart's list price, with the additions'
    for product, quantity in additions:
        subtotal += product.price * quantity
    earned = None
    bound = 0
    for rule in order_rules:
        if isinstance(rule, SpendDiscount):
            most = 0
            for step in rule.steps:
                if step.threshold <= subtotal:
                    saving = step.saving_at(subtotal)
                    if saving > most:
                        most = saving
            bound += most
        elif isinstance(rule, FreeGift):
            if earned is None:
                earned = {discount.rule_id for discount in quote.discounts}
            if rule.id in earned:
                continue
            prices = [line.unit_price for line in cart.lines if line.product_id == rule.gift_product_id]
            prices += [product.price for product, _ in additions if product.id == rule.gift_product_id]
            bound += max(prices, default=0)
    return bound


def _per_product(cart: Cart) -> tuple[dict[str, int], dict[str, int]]:
    """The cart's list price and units, per product."""
    value: dict[str, int] = {}
    units: dict[str, int] = {}
    for line in cart.lines:
        pid = line.product_id
        value[pid] = value.get(pid, 0) + line.quantity * line.unit_price
        units[pid] = units.get(pid, 0) + line.quantity
    return value, units


def _bought_together(cart, quote, products, price_with, companions, offers, max_offers=None,
                     max_added=None) -> list[Offer]:
    """One offer per product often bought with the cart's: in stock, not in the cart, not offered already.

    With ``max_offers``, only the strongest twice as many as there are places left are quoted.
    """
    in_cart = {line.product_id for line in cart.lines}
    taken = in_cart | {line.product_id for offer in offers for line in offer.add}
    most = None if max_offers is None else 2 * (max_offers - len(offers))
    found = []
    for product_id in [line.product_id for line in cart.lines]:
        for other in companions.get(product_id, ()):
            product = products.get(other)
            if other in taken or product is None or not product.in_stock or not _within([(product, 1)], max_added):
                continue
            if most is not None and len(found) >= most:
                break
            taken.add(other)
            after = price_with([(product, 1)])
            if after is None:
                break
            found.append(
                Offer(
                    kind="bought_together",
                    rule_id=f"pair:{other}",
                    label=product.name,
                    add=(CartLine(product.id, 1, product.price),),
                    added_price=product.price,
                    saving=max(0, after.discount_total - quote.discount_total),
                    new_total=after.total,
                    products=(product,),
                )
            )
    found.sort(key=lambda offer: -offer.saving)  # stable: otherwise in the order of the strongest pairs
    return found


def gap_fillers(
    cart: Cart, quote: Quote, live: list[Rule], products: Mapping[str, Product], price_with: PriceWith,
    limit: int, companions: Mapping[str, Sequence[str]] | None = None, max_added: int | None = None,
) -> list[GapFiller]:
    """Related, in-stock products not in the cart whose price best closes the free-shipping gap.

    Related: named by a live rule the cart touches, or often bought with a product in the cart. None costs
    more than ``max_added``, when given.
    """
    progress = quote.free_shipping
    if limit <= 0 or progress is None or progress.remaining == 0 or not cart.lines:
        return []
    remaining = progress.remaining
    in_cart = {line.product_id for line in cart.lines}
    paired = {other for pid in in_cart for other in (companions or {}).get(pid, ())}
    # The products that could fill the gap, then those of them related to the cart: a long cart's rules name
    # hundreds of products, most of them in the cart already.
    candidates = [
        product for pid, product in products.items()
        if pid not in in_cart and product.in_stock and product.price <= remaining * MAX_OVERSHOOT_RATIO
        and _within([(product, 1)], max_added)
        and (pid in paired or any(_touches(rule, {pid}, products) for rule in live))
    ]
    # Those that close the gap with the least overshoot first, then the closest of those that do not.
    candidates.sort(key=lambda p: (p.price < remaining, abs(p.price - remaining), p.id))
    fillers = []
    for product in candidates[:GAP_CANDIDATES]:
        after = price_with([(product, 1)])
        if after is None:
            break
        left = after.free_shipping.remaining if after.free_shipping else 0
        fillers.append(GapFiller(product, after.total, left))
    fillers.sort(key=lambda f: (f.remaining_after, f.new_total, f.product.id))
    return fillers[:limit]
