"""The engine finds the allocation that saves the most, checked against brute force on small carts."""
import itertools

from factories import NOW
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin import (
    BundleItem,
    Cart,
    CartLine,
    FixedBundle,
    PricingMode,
    Product,
    RuleBook,
    VolumeDiscount,
    VolumeTier,
    quote_cart,
)
from plugin.engine import allocation, search
from plugin.engine.savings import saving_of
from plugin.engine.money import percent_of

PRODUCT_IDS = ["p0", "p1", "p2", "p3", "p4"]


@st.composite
def shops(draw):
    prices = {pid: draw(st.sampled_from([300, 800, 1_000, 1_500, 2_999])) for pid in PRODUCT_IDS}
    in_cart = draw(st.lists(st.sampled_from(PRODUCT_IDS), min_size=1, max_size=4, unique=True))
    quantities = {pid: draw(st.integers(1, 3)) for pid in in_cart}
    bundles = []
    for index in range(draw(st.integers(0, 4))):
        items = draw(st.dictionaries(st.sampled_from(PRODUCT_IDS), st.integers(1, 2), min_size=1, max_size=3))
        if len(items) == 1 and next(iter(items.values())) == 1:
            items = {next(iter(items)): 2}
        mode = draw(st.sampled_from(list(PricingMode)))
        list_price = sum(prices[pid] * qty for pid, qty in items.items())
        value = {
            PricingMode.PERCENT_OFF: draw(st.integers(1, 10_000)),
            PricingMode.AMOUNT_OFF: draw(st.integers(1, list_price)),
            PricingMode.FIXED_PRICE: draw(st.integers(0, list_price)),
        }[mode]
        bundles.append(
            FixedBundle(
                id=f"b{index}",
                label=f"b{index}",
                items=tuple(BundleItem(pid, qty) for pid, qty in items.items()),
                mode=mode,
                value=value,
                priority=draw(st.integers(0, 3)),
            )
        )
    volumes = []
    if draw(st.booleans()):
        first = draw(st.integers(1_000, 3_000))
        volumes.append(
            VolumeDiscount(
                id="v",
                label="v",
                product_ids=frozenset(draw(st.lists(st.sampled_from(PRODUCT_IDS), min_size=1, unique=True))),
                tiers=(VolumeTier(2, first), VolumeTier(3, first + draw(st.integers(1, 2_000)))),
            )
        )
    return prices, quantities, bundles, volumes


def brute_force_saving(prices, quantities, bundles, volumes):
    """Try every number of sets of every bundle, and every way to give units to the volume tier."""
    best = 0
    ranges = [range(0, 1 + min(quantities.get(i.product_id, 0) // i.quantity for i in b.items)) for b in bundles]
    for sets in itertools.product(*ranges):
        left = dict(quantities)
        saving = 0
        for bundle, count in zip(bundles, sets):
            price = sum(prices[item.product_id] * item.quantity for item in bundle.items)
            for item in bundle.items:
                left[item.product_id] = left.get(item.product_id, 0) - item.quantity * count
            saving += saving_of(bundle.mode, bundle.value, price * count, count)  # rounded once per rule
        if any(units < 0 for units in left.values()):
            continue
        volume_best = 0
        for volume in volumes:
            eligible = [pid for pid in left if pid in volume.product_ids]
            for taken in itertools.product(*[range(left[pid] + 1) for pid in eligible]):
                tier = volume.tier_for(sum(taken))
                if tier:
                    price = sum(prices[pid] * units for pid, units in zip(eligible, taken))
                    volume_best = max(volume_best, percent_of(price, tier.percent_bp))
        best = max(best, saving + volume_best)
    return best


@settings(max_examples=300, deadline=None)
@given(shops())
def test_engine_matches_brute_force_on_small_carts(shop):
    prices, quantities, bundles, volumes = shop
    catalogue = {pid: Product(pid, pid, price) for pid, price in prices.items()}
    cart = Cart(tuple(CartLine(pid, qty, prices[pid]) for pid, qty in quantities.items()))
    q = quote_cart(cart, RuleBook(tuple(bundles + volumes)), catalogue, now=NOW, with_offers=False)
    assert q.discount_total == brute_force_saving(prices, quantities, bundles, volumes)
    used: dict[str, int] = {}
    for discount in q.discounts:
        for units in discount.units:
            used[units.product_id] = used.get(units.product_id, 0) + units.quantity
    assert all(used[pid] <= quantities[pid] for pid in used)
    assert sum(line.discount for line in q.lines) == q.discount_total
    assert all(0 <= line.discount <= line.subtotal for line in q.lines)


def test_an_absurd_cart_is_priced_within_the_search_budget(monkeypatch):
    """Forty overlapping bundles over fifty lines: bounded search, never worse than greedy."""
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 37 * i) for i in range(50)}
    bundles = [
        FixedBundle(
            id=f"b{i:02d}",
            label=f"b{i}",
            items=(BundleItem(f"p{i}", 2), BundleItem(f"p{(i + 1) % 50}", 1), BundleItem(f"p{(i + 13) % 50}", 1)),
            mode=PricingMode.PERCENT_OFF,
            value=500 + 100 * (i % 7),
            priority=i % 5,
        )
        for i in range(40)
    ]
    cart = Cart(tuple(CartLine(pid, 99, product.price) for pid, product in products.items()))
    searches = []
    original = search.GroupSearch.__init__

    def keeping(group_search, *args, **kwargs):
        original(group_search, *args, **kwargs)
        searches.append(group_search)

    monkeypatch.setattr(search.GroupSearch, "__init__", keeping)
    q = quote_cart(cart, RuleBook(tuple(bundles)), products, now=NOW, with_offers=False)
    assert searches
    for found in searches:  # past the budget, only the greedy path under the states still open
        assert allocation.SEARCH_BUDGET - found.budget[0] <= allocation.SEARCH_BUDGET + 2 * len(found.rules)
    # With no budget the search stops at its first answer, which is the greedy one.
    monkeypatch.setattr(allocation, "SEARCH_BUDGET", 0)
    greedy = quote_cart(cart, RuleBook(tuple(bundles)), products, now=NOW, with_offers=False)
    assert q.discount_total >= greedy.discount_total > 0
    assert sum(line.discount for line in q.lines) == q.discount_total
