"""The engine's worst cases: overlapping bundles, pair bundles, long carts with chained rules, spend ladders,
buy X get Y.

Each case times a cart-page quote (offers included, ``max_offers=2``) and prints its median and p99
next to a baseline measured in the same run: a 10-line cart with one bundle, and how many of the
quote's group searches the budget stopped before they proved their answer best (``cut``). Run:

    .venv/bin/python bench/engine_worst_case.py [--rounds N] [--freeze] [case words...]

Python's collector of the oldest generation walks every object of the process (here about 100,000, the
imports included) now and then; a quote that meets it pays tens of milliseconds on a busy machine. With
``--freeze``, the heap built before a case is frozen (``gc.freeze()``, what a pre-forked server does after
start-up, see ``docs/performance.md``), so the figures are the engine's own work and its own garbage.

Targets (issue "Engine: every promise holds for every cart, in bounded time"): under 5 ms median and
20 ms p99 a quote in every case. Figures go in docs/performance.md.
"""
from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import time
from dataclasses import replace
from datetime import datetime, timezone

from plugin import (BundleItem, BuyXGetY, Cart, CartLine, FixedBundle, PricingMode, Product, RuleBook, VolumeDiscount,
                    VolumeTier)
from plugin import quote_cart
from plugin.engine import allocation, search
from plugin.engine.rules import (FreeGift, MAX_SPEND_STEPS, ShippingStep, ShippingThreshold, SpendDiscount,
                                 SpendStep)

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)
FREEZE = False


def timed(cart, rules, products, rounds):
    book = RuleBook(tuple(rules))
    if FREEZE:  # what a pre-forked server does after start-up: the heap built so far is not scanned again
        gc.collect()
        gc.freeze()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        quote = quote_cart(cart, book, products, now=NOW, max_offers=2)
        samples.append(time.perf_counter() - started)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return statistics.median(samples), p99, quote


def cut_searches(cart, rules, products) -> tuple[int, int]:
    """How many group searches one cart-page quote runs, and how many of them the budget stopped."""
    searches = []
    original = search.GroupSearch.__init__

    def keeping(group_search, *args, **kwargs):
        original(group_search, *args, **kwargs)
        searches.append(group_search)

    search.GroupSearch.__init__ = keeping
    try:
        quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, max_offers=2)
    finally:
        search.GroupSearch.__init__ = original
    return len(searches), sum(found.budget[0] <= 0 for found in searches)


def overlapping(k, missing):
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 137 * i) for i in range(13)}
    rules = []
    for index in range(k):
        items = sorted({f"p{(index * 7 + j * 3) % (13 if missing else 10)}" for j in range(3)})
        rules.append(FixedBundle(id=str(index + 1), label=f"b{index}",
                                 items=tuple(BundleItem(pid, 1 + (index + j) % 2) for j, pid in enumerate(items)),
                                 mode=PricingMode.PERCENT_OFF, value=500 + (index * 37) % 2_000))
    cart = Cart(tuple(CartLine(f"p{i}", 3, products[f"p{i}"].price) for i in range(10)))
    return cart, rules, products


def stackable_overlapping(k):
    """The K overlapping bundles, every one stackable: each stacks on the units the others discount, so every rule
    but the last is ahead of another (docs/engine.md, "A stackable rule is given up where that saves more")."""
    cart, rules, products = overlapping(k, False)
    return cart, [replace(rule, stackable=True) for rule in rules], products


def distinct(k):
    """K bundles over 10 products, no two with the same items: nothing is dominated, the search must cut."""
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 137 * i) for i in range(10)}
    shapes = list(itertools.combinations(sorted(products), 3))
    rules = [FixedBundle(id=str(index + 1), label=f"d{index}",
                         items=tuple(BundleItem(pid, 1 + (index + j) % 2) for j, pid in enumerate(shapes[index])),
                         mode=PricingMode.PERCENT_OFF, value=500 + (index * 37) % 2_000)
             for index in range(k)]
    cart = Cart(tuple(CartLine(f"p{i}", 3, products[f"p{i}"].price) for i in range(10)))
    return cart, rules, products


def pairs():
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 137 * i) for i in range(8)}
    rules = [FixedBundle(id=str(n + 1), label="pair", items=(BundleItem(a), BundleItem(b)),
                         mode=PricingMode.AMOUNT_OFF, value=100 + 13 * n)
             for n, (a, b) in enumerate(itertools.combinations(sorted(products), 2))]
    cart = Cart(tuple(CartLine(f"p{i}", 3, products[f"p{i}"].price) for i in range(6)))
    return cart, rules, products


def long_cart(lines):
    products = {f"q{i}": Product(f"q{i}", "q", 500 + i, category=f"c{i // 10}") for i in range(lines)}
    rules = [FixedBundle(id=str(i + 1), label="pair", items=(BundleItem(f"q{i}"), BundleItem(f"q{i + 1}")),
                         mode=PricingMode.PERCENT_OFF, value=1_000) for i in range(0, lines - 1, 2)]
    rules += [VolumeDiscount(id=str(10_000 + c), label="v", categories=frozenset({f"c{c}", f"c{c + 1}"}),
                             tiers=(VolumeTier(2, 500), VolumeTier(5, 800)))
              for c in range(0, lines // 10 + 1, 2)]
    cart = Cart(tuple(CartLine(f"q{i}", 1, products[f"q{i}"].price) for i in range(lines)))
    return cart, rules, products


def bxgy_category(lines, with_volume=False):
    """A "2点買うと1点無料" over one category holding every line of a long cart (and a limited volume discount
    on the same category, which competes for every unit)."""
    products = {f"t{i}": Product(f"t{i}", "t", 500 + 7 * i, category="tops") for i in range(lines)}
    rules = [BuyXGetY(id="1", label="2+1", buy_categories=frozenset({"tops"}), buy_quantity=2)]
    if with_volume:
        rules.append(VolumeDiscount(id="2", label="v", categories=frozenset({"tops"}), max_units=10,
                                    tiers=(VolumeTier(2, 500), VolumeTier(5, 1_000))))
    cart = Cart(tuple(CartLine(f"t{i}", 1, products[f"t{i}"].price) for i in range(lines)))
    return cart, rules, products


def bxgy_overlapping(k):
    """K buy-X-get-Y rules and K bundles over the same 10 products, every rule competing for the same units."""
    products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000 + 137 * i, category="all") for i in range(10)}
    rules = []
    for index in range(k):
        buy = frozenset(f"p{(index * 3 + j) % 10}" for j in range(4))
        rules.append(BuyXGetY(id=str(2 * index + 1), label=f"x{index}", buy_product_ids=buy,
                              buy_quantity=1 + index % 3, get_quantity=1 + index % 2,
                              value=2_000 + (index * 700) % 8_000, max_applications=None if index % 2 else 3))
        items = sorted({f"p{(index * 7 + j * 3) % 10}" for j in range(3)})
        rules.append(FixedBundle(id=str(2 * index + 2), label=f"b{index}",
                                 items=tuple(BundleItem(pid, 1 + (index + j) % 2) for j, pid in enumerate(items)),
                                 mode=PricingMode.PERCENT_OFF, value=500 + (index * 37) % 2_000))
    cart = Cart(tuple(CartLine(f"p{i}", 3, products[f"p{i}"].price) for i in range(10)))
    return cart, rules, products


def many_rules():
    """10,000 rules of which about 80 touch a 10-line cart."""
    products = {f"r{i}": Product(f"r{i}", "r", 800 + i % 500, category=f"k{i % 50}") for i in range(2_000)}
    rules = [FixedBundle(id=str(n + 1), label="b", items=(BundleItem(f"r{(n * 7) % 2_000}"), BundleItem(f"r{(n * 13 + 1) % 2_000}")),
                         mode=PricingMode.PERCENT_OFF, value=500 + n % 1_000) for n in range(10_000)]
    cart = Cart(tuple(CartLine(f"r{i * 3}", 1 + i % 3, products[f"r{i * 3}"].price) for i in range(10)))
    return cart, rules, products


def _spend_rules(counted: int, subtotal: int, rules: int = 5, rich: bool = False) -> list:
    """``rules`` spend discounts of the most steps each, every threshold between what the item discounts leave
    and the subtotal (each needs a candidate that gives item savings up), and three gifts in the same range.

    Each step takes ¥100 to ¥1,000 off; ``rich`` steps also take what the cart must give up to reach them, so
    that giving item savings up pays and every part of the search runs: otherwise no step is worth the item
    saving it costs, which the engine sees before building any menu.
    """
    span = max(1, subtotal - counted)
    found = []
    for r in range(rules):
        thresholds = [counted + span * (r + 1 + s * rules) // (rules * MAX_SPEND_STEPS + 1) for s in range(MAX_SPEND_STEPS)]
        steps = tuple(SpendStep(threshold, amount_off=100 * (s + 1) + r + (threshold - counted if rich else 0))
                      for s, threshold in enumerate(thresholds))
        found.append(SpendDiscount(id=f"s{r}", label="spend", currency="JPY", steps=steps, stackable=r % 2 == 1))
    found += [FreeGift(id=f"g{g}", label="gift", currency="JPY", gift_product_id="gift",
                       threshold=counted + span * (g + 1) // 4) for g in range(3)]
    return found


def spend_ladder(lines, rich=False):
    """The long cart with 50 spend steps and 3 gift thresholds, all above what its item discounts leave."""
    cart, rules, products = long_cart(lines)
    products["gift"] = Product("gift", "gift", 1_000)
    cart = Cart(cart.lines + (CartLine("gift", 1, 1_000),))
    plain = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    return cart, rules + _spend_rules(plain.subtotal - plain.discount_total, plain.subtotal, rich=rich), products


def spend_many_groups(lines, rich=False):
    """Every line its own one-unit bundle (a group each, a menu each): the combination runs to its budget."""
    products = {f"u{i}": Product(f"u{i}", "u", 700 + 11 * i) for i in range(lines)}
    products["gift"] = Product("gift", "gift", 1_000)
    rules = [FixedBundle(id=str(i + 1), label="one", items=(BundleItem(f"u{i}"),), mode=PricingMode.AMOUNT_OFF,
                         value=13 + 7 * (i % 29)) for i in range(lines)]
    cart = Cart(tuple(CartLine(f"u{i}", 1, products[f"u{i}"].price) for i in range(lines)) + (CartLine("gift", 1, 1_000),))
    plain = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    return cart, rules + _spend_rules(plain.subtotal - plain.discount_total, plain.subtotal, rich=rich), products


def storewide_stackable(lines, stackable=3):
    """The long cart's spend ladder with storewide stackable volume discounts: every line joins one group, which
    the branch and bound prices in full (bounded by ``search.FULL_WORK``), and the order rules try giving the
    stackable rules up."""
    cart, rules, products = spend_ladder(lines)
    everything = frozenset(f"c{c}" for c in range(lines // 10 + 1))
    rules = rules + [VolumeDiscount(id=str(20_000 + j), label="storewide", categories=everything,
                                    tiers=(VolumeTier(1, 200 + 100 * j),), stackable=True) for j in range(stackable)]
    return cart, rules, products


def shipping_weighed(lines, stackable=0):
    """The long cart (with ``stackable`` storewide stackable volumes) and a shipping threshold whose free step lies
    between what the item discounts leave and the subtotal, and a reduced step below it: every item discount
    may cost a fee step, so the shipping saved is weighed with the candidates (docs "Best price with order
    rules")."""
    cart, rules, products = long_cart(lines)
    if stackable:
        everything = frozenset(f"c{c}" for c in range(lines // 10 + 1))
        rules = rules + [VolumeDiscount(id=str(20_000 + j), label="storewide", categories=everything,
                                        tiers=(VolumeTier(1, 200 + 100 * j),), stackable=True) for j in range(stackable)]
    plain = quote_cart(cart, RuleBook(tuple(rules)), products, now=NOW, with_offers=False)
    counted, saving = plain.subtotal - plain.discount_total, plain.discount_total
    rules = rules + [ShippingThreshold(id="ship", label="ship", currency="JPY", threshold=counted + saving // 2, fee=600,
                                       steps=(ShippingStep(counted + saving // 4, 300),))]
    return cart, rules, products


def trigger_gifts(gifts):
    """A 10-line cart and ``gifts`` free gifts, each earned by 200 products the cart lacks (in stock, within
    reach): every gift's "Xを追加でノベルティプレゼント" is tried, until the nudges' budget of quotes runs out."""
    cart, rules, products = long_cart(10)
    for n in range(200):
        products[f"t{n}"] = Product(f"t{n}", "t", 500 + n)
    for g in range(gifts):
        products[f"gift{g}"] = Product(f"gift{g}", "gift", 1_000)
        rules.append(FreeGift(id=f"tg{g}", label="gift", currency="JPY", gift_product_id=f"gift{g}",
                              trigger_product_ids=frozenset(f"t{n}" for n in range(200))))
    return cart, rules, products


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--freeze", action="store_true",
                        help="gc.freeze() the heap before each case, as a pre-forked server does after start-up")
    parser.add_argument("words", nargs="*", help="only the cases whose name holds one of these (e.g. '200 lines')")
    arguments = parser.parse_args()
    rounds = arguments.rounds
    global FREEZE
    FREEZE = arguments.freeze
    base_cart = Cart(tuple(CartLine(f"p{i}", 1, 1_000) for i in range(10)))
    base_products = {f"p{i}": Product(f"p{i}", f"p{i}", 1_000) for i in range(10)}
    base_rule = FixedBundle(id="1", label="b", items=(BundleItem("p0"), BundleItem("p1")), mode=PricingMode.PERCENT_OFF,
                            value=1_000)
    baseline, _, _ = timed(base_cart, [base_rule], base_products, rounds)
    print(f"baseline (10 lines, 1 bundle): {baseline * 1e3:.3f} ms median")
    cases = [(f"K={k} overlapping bundles{' + 3 missing' if missing else ''}", overlapping(k, missing))
             for k in (1, 5, 20, 50, 100) for missing in (False, True)]
    cases += [(f"K={k} distinct overlapping bundles", distinct(k)) for k in (20, 50, 100)]
    cases += [(f"K={k} stackable overlapping bundles", stackable_overlapping(k)) for k in (4, 20, 100)]
    cases += [("28 pair bundles, 2 products missing", pairs())]
    cases += [(f"{n} lines, pair bundles + chained volumes", long_cart(n)) for n in (1, 10, 50, 200)]
    cases += [("10 lines, 10,000 rules", many_rules())]
    cases += [(f"{n} lines, chained rules + 5×10 spend steps, 3 gifts", spend_ladder(n)) for n in (10, 50, 200)]
    cases += [(f"{n} one-unit bundles + 5×10 spend steps, 3 gifts", spend_many_groups(n)) for n in (10, 50, 200)]
    cases += [(f"{n} lines, chained rules + 5×10 rich spend steps", spend_ladder(n, True)) for n in (10, 50, 200)]
    cases += [(f"{n} one-unit bundles + 5×10 rich spend steps", spend_many_groups(n, True)) for n in (10, 50, 200)]
    cases += [(f"{n} lines, spend steps + 3 storewide stackable", storewide_stackable(n)) for n in (50, 200)]
    cases += [(f"{n} lines, shipping steps amid the discounts" + (" + 3 storewide stackable" if k else ""),
               shipping_weighed(n, k)) for n in (50, 200) for k in (0, 3)]
    cases += [(f"10 lines, {g} gifts earned by 200 products each", trigger_gifts(g)) for g in (1, 20)]
    cases += [(f"{n} lines, buy 2 get 1 over one category", bxgy_category(n)) for n in (10, 200)]
    cases += [(f"{n} lines, buy 2 get 1 + limited volume", bxgy_category(n, True)) for n in (10, 200)]
    cases += [(f"K={k} buy-X-get-Y + K bundles overlapping", bxgy_overlapping(k)) for k in (1, 5, 20)]
    print(f"{'case':45s} {'median ms':>10s} {'p99 ms':>8s} {'x base':>8s} {'saving':>8s} {'cut/searches':>13s}")
    for name, (cart, rules, products) in cases:
        if arguments.words and not any(word in name for word in arguments.words):
            continue
        median, p99, quote = timed(cart, rules, products, rounds)
        searched, cut = cut_searches(cart, rules, products)
        print(f"{name:45s} {median * 1e3:10.3f} {p99 * 1e3:8.3f} {median / baseline:8.1f} {quote.discount_total:8d}"
              f" {cut:>6d}/{searched:<6d}")


if __name__ == "__main__":
    main()
