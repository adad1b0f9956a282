"""How long pricing a cart takes as a shop's rule count grows.

Run it with ``make bench`` (or ``.venv/bin/python bench/quote_latency.py``).
It builds a synthetic catalogue of 20,000 products in 200 categories and shops
with 10 to 10,000 live rules, then times:

- the engine, ``quote_cart`` for one 10-line cart with offers on (as the cart
  page prices it), against each rule count and against no rules at all;
- building the :class:`~plugin.RuleBook` for 10,000 rules (once per cache reload);
- the extension end to end on a temporary SQLite file: ``tsuide.quote(cart)``
  in a request context, warm and cold, counting SQL statements per warm quote.

Every shop puts the same five rules on the cart's products (two bundles that
compete for one unit, a three-item bundle the cart half fills, a volume
discount the cart reaches and a stackable category discount) and one shipping
threshold; the rest of the rules sit on other products. So each shop asks the
engine for the same work and the ratio to "no rules" shows what the rule
count alone costs. The script checks that every shop prices the cart
identically before it reports anything.

Exits 1 when a warm quote makes more than one SQL query, 2 when the shops do
not price the cart alike (the figures would not compare like with like).
Timings are printed, never asserted: the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, insert, update

from plugin import (
    BundleItem,
    Cart,
    CartLine,
    FixedBundle,
    PricingMode,
    Product,
    Quote,
    Reward,
    RuleBook,
    ShippingThreshold,
    ShopAdapter,
    Tsuide,
    VolumeDiscount,
    VolumeTier,
    models,
    quote_cart,
)
from plugin.storage import migrate
from plugin.engine.rules import Rule

PRODUCT_COUNT = 20_000
CATEGORY_COUNT = 200
RULE_COUNTS = (10, 100, 1_000, 10_000)
TARGET_RULES = 10_000
TARGET_MEDIAN_US = 1_000
LOCALE = "ja"  # the extension's default locale: the engine is timed as the cart page calls it
MAX_OFFERS = 2  # TSUIDE_MAX_CART_OFFERS' default
SEED = 20_240_601

#: Share of the filler rules that are volume discounts (the rest are fixed bundles).
VOLUME_SHARE = 0.3
#: Of those, how many count a whole category rather than a few products.
CATEGORY_VOLUME_SHARE = 0.05

NOW = datetime.now(timezone.utc).replace(microsecond=0)


# -- the catalogue and the cart ------------------------------------------------------------------


def category_name(index: int) -> str:
    return f"C{index:03d}"


def product_id(index: int) -> str:
    return f"P{index:05d}"


#: The cart's ten products and two it does not hold yet, priced by hand so the quote is easy to check.
#: (id, price, category, quantity in cart); a quantity of 0 means "in the catalogue, not in the cart".
CART_PRODUCTS = (
    (product_id(0), 2_400, category_name(0), 1),  # bundle A with P00001
    (product_id(1), 1_800, category_name(1), 1),  # the unit bundles A and B compete for
    (product_id(2), 1_500, category_name(2), 1),  # bundle B with P00001
    (product_id(3), 980, category_name(3), 1),  # bundle C, which also needs P00010
    (product_id(4), 1_280, category_name(4), 1),  # bundle C
    (product_id(5), 1_200, category_name(5), 1),  # volume discount V
    (product_id(6), 890, category_name(6), 2),  # volume discount V
    (product_id(7), 3_200, category_name(7), 1),  # in no rule
    (product_id(8), 650, category_name(8), 1),  # stackable category discount K
    (product_id(9), 420, category_name(8), 2),  # stackable category discount K
    (product_id(10), 760, category_name(10), 0),  # completes bundle C (an offer)
    (product_id(11), 540, category_name(11), 0),  # reaches V's next tier (an offer)
)
RESERVED_PRODUCTS = frozenset(pid for pid, _, _, _ in CART_PRODUCTS)
CART_CATEGORIES = frozenset(category for _, _, category, quantity in CART_PRODUCTS if quantity)


def build_catalogue(rng: random.Random) -> dict[str, Product]:
    """20,000 products in 200 categories with whole-yen prices; half of them know their cost."""
    catalogue = {}
    for index in range(PRODUCT_COUNT):
        price = rng.randrange(30, 1_200) * 10
        cost = price * rng.randrange(40, 75) // 100 if index % 2 else None
        pid = product_id(index)
        catalogue[pid] = Product(pid, f"商品 {index}", price, category_name(index % CATEGORY_COUNT), cost=cost)
    for pid, price, category, _ in CART_PRODUCTS:
        catalogue[pid] = Product(pid, f"商品 {pid}", price, category, cost=price // 2)
    return catalogue


def build_cart(customer_id: str | None = None) -> Cart:
    lines = tuple(CartLine(pid, quantity, price) for pid, price, _, quantity in CART_PRODUCTS if quantity)
    return Cart(lines, customer_id)


# -- the rules -----------------------------------------------------------------------------------


def cart_rules() -> list[Rule]:
    """The six rules every shop has: five on the cart's products and the shipping threshold."""
    return [
        FixedBundle(
            id="1",
            label="定番セット A",
            translations=(("en", "Set A"),),
            items=(BundleItem(product_id(0)), BundleItem(product_id(1))),
            mode=PricingMode.FIXED_PRICE,
            value=3_600,
        ),
        FixedBundle(
            id="2",
            label="定番セット B",
            translations=(("en", "Set B"),),
            items=(BundleItem(product_id(1)), BundleItem(product_id(2))),
            mode=PricingMode.PERCENT_OFF,
            value=2_500,
        ),
        FixedBundle(
            id="3",
            label="3点セット C",
            translations=(("en", "Trio C"),),
            items=(BundleItem(product_id(3)), BundleItem(product_id(4)), BundleItem(product_id(10))),
            mode=PricingMode.AMOUNT_OFF,
            value=500,
            priority=1,
        ),
        VolumeDiscount(
            id="4",
            label="よりどり V",
            translations=(("en", "Mix and match V"),),
            product_ids=frozenset({product_id(5), product_id(6), product_id(11)}),
            tiers=(VolumeTier(2, 500), VolumeTier(3, 1_000), VolumeTier(5, 1_500)),
            margin_floor_bp=1_000,
        ),
        VolumeDiscount(
            id="5",
            label="カテゴリ割 K",
            translations=(("en", "Category deal K"),),
            categories=frozenset({category_name(8)}),
            tiers=(VolumeTier(3, 500), VolumeTier(6, 800)),
            stackable=True,
        ),
        ShippingThreshold(
            id="6",
            label="送料無料",
            translations=(("en", "Free shipping"),),
            currency="JPY",
            threshold=10_000,
            fee=550,
            rewards=(Reward(20_000, "ノベルティ"),),
        ),
    ]


def _schedule(rng: random.Random) -> dict:
    """Most rules run forever; some are a campaign that started lately and ends soon (all live now)."""
    if rng.random() < 0.7:
        return {}
    return {
        "starts_at": NOW - timedelta(days=rng.randrange(1, 60)),
        "ends_at": NOW + timedelta(days=rng.randrange(1, 60)),
    }


def _terms(rng: random.Random, rule_id: int, label: str, english: str) -> dict:
    terms = {
        "id": str(rule_id),
        "label": f"{label} #{rule_id}",
        "translations": (("en", f"{english} #{rule_id}"),),
        "priority": rng.choice((0, 0, 0, 1, 2, 5)),
        **_schedule(rng),
    }
    if rng.random() < 0.1:
        terms["global_cap"] = rng.randrange(50, 500)
        terms["redeemed"] = rng.randrange(0, 50)
    if rng.random() < 0.05:
        terms["per_customer_cap"] = rng.randrange(1, 4)
    if rng.random() < 0.2:
        terms["margin_floor_bp"] = rng.choice((500, 1_000, 2_000))
    return terms


def filler_rules(rng: random.Random, catalogue: Mapping[str, Product], first_id: int, count: int) -> list[Rule]:
    """``count`` live rules on products and categories the cart does not hold.

    Non-stackable volume discounts each get products (or a category) of their
    own, as a shop's admin would have to give them; bundles pick any products.
    """
    open_products = [pid for pid in catalogue if pid not in RESERVED_PRODUCTS]
    free_products = list(open_products)
    rng.shuffle(free_products)
    free_categories = [category_name(i) for i in range(CATEGORY_COUNT) if category_name(i) not in CART_CATEGORIES]
    rng.shuffle(free_categories)
    modes = tuple(PricingMode)
    rules: list[Rule] = []
    for rule_id in range(first_id, first_id + count):
        if rng.random() < VOLUME_SHARE:
            terms = _terms(rng, rule_id, "よりどり", "Mix and match")
            steps = rng.randrange(1, 4)
            tiers = tuple(VolumeTier(2 + step * 2, 500 + step * 500) for step in range(steps))
            if free_categories and rng.random() < CATEGORY_VOLUME_SHARE:
                rules.append(VolumeDiscount(**terms, categories=frozenset({free_categories.pop()}), tiers=tiers))
            else:
                chosen = frozenset(free_products.pop() for _ in range(rng.randrange(2, 6)))
                rules.append(VolumeDiscount(**terms, product_ids=chosen, tiers=tiers))
            continue
        terms = _terms(rng, rule_id, "セット割", "Bundle")
        terms["stackable"] = rng.random() < 0.1
        picked = rng.sample(open_products, rng.randrange(2, 4))
        items = tuple(BundleItem(pid, 2 if rng.random() < 0.1 else 1) for pid in picked)
        full_price = sum(catalogue[item.product_id].price * item.quantity for item in items)
        mode = modes[rule_id % len(modes)]
        if mode is PricingMode.FIXED_PRICE:
            value = full_price * rng.randrange(75, 95) // 1_000 * 10
        elif mode is PricingMode.PERCENT_OFF:
            value = rng.choice((500, 1_000, 1_500, 2_000))
        else:
            value = min(full_price // 2, rng.randrange(10, 100) * 10)
        rules.append(FixedBundle(**terms, items=items, mode=mode, value=value))
    return rules


def build_rules(rng: random.Random, catalogue: Mapping[str, Product]) -> list[Rule]:
    """The largest shop's rules; a shop of ``n`` rules has the first ``n`` of them."""
    fixed = cart_rules()
    return fixed + filler_rules(rng, catalogue, len(fixed) + 1, max(RULE_COUNTS) - len(fixed))


def catalogue_for(cart: Cart, rulebook: RuleBook, catalogue: Mapping[str, Product]) -> dict[str, Product]:
    """The products the extension would hand the engine: the cart's and those its rules name."""
    in_cart = {line.product_id for line in cart.lines}
    products = {pid: catalogue[pid] for pid in in_cart}
    for rule in rulebook.touching(in_cart, {product.category for product in products.values()}):
        if isinstance(rule, (FixedBundle, VolumeDiscount)):
            products.update((pid, catalogue[pid]) for pid in rule.product_ids)
    return products


# -- timing --------------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    samples_ns: list[int]

    def percentile_us(self, percent: float) -> float:
        """Nearest-rank percentile, in microseconds."""
        ordered = sorted(self.samples_ns)
        rank = max(1, -(-len(ordered) * percent // 100))
        return ordered[int(rank) - 1] / 1_000

    @property
    def median_us(self) -> float:
        return self.percentile_us(50)

    @property
    def p99_us(self) -> float:
        return self.percentile_us(99)


def time_calls(call: Callable[[], object], runs: int, into: list[int]) -> None:
    clock = time.perf_counter_ns
    for _ in range(runs):
        started = clock()
        call()
        into.append(clock() - started)


def time_interleaved(calls: Sequence[tuple[str, Callable[[], object]]], runs: int, warmup: int) -> list[Timing]:
    """Time each call ``runs`` times, taking turns in blocks so machine noise hits them all alike."""
    for _, call in calls:
        time_calls(call, warmup, [])
    timings = [Timing(name, []) for name, _ in calls]
    rounds = 10
    for _ in range(rounds):
        for timing, (_, call) in zip(timings, calls):
            time_calls(call, runs // rounds, timing.samples_ns)
    return timings


def median_ms(call: Callable[[], object], repeats: int) -> float:
    durations = []
    for _ in range(repeats):
        started = time.perf_counter_ns()
        call()
        durations.append(time.perf_counter_ns() - started)
    return sorted(durations)[len(durations) // 2] / 1e6


# -- the engine ----------------------------------------------------------------------------------


@dataclass
class EngineResult:
    timings: list[Timing]
    rulebook_build_ms: float
    quotes: dict[str, Quote]


def bench_engine(cart: Cart, rules: Sequence[Rule], catalogue: Mapping[str, Product], runs: int, warmup: int):
    shops = [("no rules", RuleBook())] + [(f"{count:,}", RuleBook(tuple(rules[:count]))) for count in RULE_COUNTS]
    calls = []
    quotes = {}
    for name, rulebook in shops:
        products = catalogue_for(cart, rulebook, catalogue)

        def call(rulebook=rulebook, products=products) -> Quote:
            return quote_cart(cart, rulebook, products, now=NOW, locale=LOCALE, max_offers=MAX_OFFERS)

        quotes[name] = call()
        calls.append((name, call))
    gc.collect()
    timings = time_interleaved(calls, runs, warmup)
    largest = tuple(rules[: max(RULE_COUNTS)])
    build_ms = median_ms(lambda: RuleBook(largest), 15)
    return EngineResult(timings, build_ms, quotes)


def profile_engine(cart: Cart, rules: Sequence[Rule], catalogue: Mapping[str, Product], runs: int) -> None:
    rulebook = RuleBook(tuple(rules[:TARGET_RULES]))
    products = catalogue_for(cart, rulebook, catalogue)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        quote_cart(cart, rulebook, products, now=NOW, locale=LOCALE, max_offers=MAX_OFFERS)
    profiler.disable()
    print(f"\ncProfile of {runs:,} engine quotes against {TARGET_RULES:,} rules (cumulative time):")
    pstats.Stats(profiler).sort_stats(os.environ.get("TSUIDE_PROFILE_SORT", "cumulative")).print_stats(25)


# -- the extension on SQLite ---------------------------------------------------------------------


class BenchAdapter(ShopAdapter):
    """A shop whose catalogue and cart live in memory."""

    def __init__(self, catalogue: Mapping[str, Product], cart: Cart):
        self.catalogue = catalogue
        self.cart = cart

    def current_cart(self) -> Cart:
        return self.cart

    def products(self, ids):
        return {pid: self.catalogue[pid] for pid in ids if pid in self.catalogue}

    def add_to_cart(self, items) -> None:
        self.cart = self.cart.adding((self.catalogue[pid], quantity) for pid, quantity in items)


def rule_rows(rules: Sequence[Rule]) -> dict[type, list[dict]]:
    """The plugin's table rows for engine rules, keyed by model, ready for bulk inserts."""
    rows: dict[type, list[dict]] = {models.Rule: [], models.RuleItem: [], models.RuleCategory: [], models.RuleStep: []}
    for rule in rules:
        rule_id = int(rule.id)
        row = {
            "id": rule_id,
            "label": rule.label,
            "label_en": dict(rule.translations).get("en"),
            "starts_at": models.to_storage(rule.starts_at),
            "ends_at": models.to_storage(rule.ends_at),
            "priority": rule.priority,
            "stackable": rule.stackable,
            "paused": rule.paused,
            "per_customer_cap": rule.per_customer_cap,
            "global_cap": rule.global_cap,
            "redeemed": rule.redeemed,
            "margin_floor_bp": rule.margin_floor_bp,
            "pricing_mode": None,
            "pricing_value": None,
            "currency": None,
            "threshold": None,
            "fee": None,
            "count_before_discounts": False,
        }
        if isinstance(rule, FixedBundle):
            row.update(kind="bundle", pricing_mode=rule.mode.value, pricing_value=rule.value)
            rows[models.RuleItem] += [
                {"rule_id": rule_id, "product_id": item.product_id, "quantity": item.quantity, "position": position}
                for position, item in enumerate(rule.items)
            ]
        elif isinstance(rule, VolumeDiscount):
            row.update(kind="volume")
            rows[models.RuleItem] += [
                {"rule_id": rule_id, "product_id": pid, "quantity": 1, "position": position}
                for position, pid in enumerate(sorted(rule.product_ids))
            ]
            rows[models.RuleCategory] += [{"rule_id": rule_id, "category": name} for name in sorted(rule.categories)]
            rows[models.RuleStep] += [
                {"rule_id": rule_id, "threshold": tier.min_quantity, "percent_bp": tier.percent_bp, "label": None}
                for tier in rule.tiers
            ]
        else:
            assert isinstance(rule, ShippingThreshold)
            row.update(
                kind="shipping",
                currency=rule.currency,
                threshold=rule.threshold,
                fee=rule.fee,
                count_before_discounts=rule.count_before_discounts,
            )
            rows[models.RuleStep] += [
                {"rule_id": rule_id, "threshold": reward.threshold, "percent_bp": None, "label": reward.label}
                for reward in rule.rewards
            ]
        rows[models.Rule].append(row)
    return rows


@dataclass
class WarmResult:
    timing: Timing
    queries_per_quote: float
    quote: Quote


@dataclass
class ExtensionResult:
    insert_s: float
    cold_ms: float
    cold_queries: int
    warm: list[WarmResult]


def bench_extension(cart: Cart, rules: Sequence[Rule], catalogue: Mapping[str, Product], runs: int, warmup: int):
    with tempfile.TemporaryDirectory(prefix="tsuide-bench-") as directory:
        app = Flask("tsuide_bench")
        app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(directory) / 'shop.db'}", SECRET_KEY="bench")
        db = SQLAlchemy(app)
        tsuide = Tsuide(app, db=db, adapter=BenchAdapter(catalogue, cart))
        with app.app_context():
            migrate.upgrade(db.engine)
            started = time.perf_counter()
            for model, rows in rule_rows(rules).items():
                if rows:
                    db.session.execute(insert(model), rows)
            # Bulk inserts skip the ORM's flush hook, so bump the version stamp the way a saved rule does.
            db.session.execute(
                update(models.State).where(models.State.id == 1).values(version=models.State.version + 1)
            )
            db.session.commit()
            insert_s = time.perf_counter() - started

            statements = 0

            def count(*_args) -> None:
                nonlocal statements
                statements += 1

            event.listen(db.engine, "before_cursor_execute", count)
            try:
                with app.test_request_context("/cart", headers={"Accept-Language": LOCALE}):
                    started = time.perf_counter_ns()
                    tsuide.quote(cart, now=NOW)
                    cold_ms = (time.perf_counter_ns() - started) / 1e6
                    cold_queries = statements

                    warm = []
                    # A signed-in shopper's stamp query also reads their use of per-customer capped rules.
                    for name, shopper_cart in (("guest", cart), ("signed in", replace(cart, customer_id="c-1"))):

                        def call(shopper_cart=shopper_cart) -> Quote:
                            return tsuide.quote(shopper_cart, now=NOW)

                        time_calls(call, warmup, [])
                        statements = 0
                        timing = Timing(name, [])
                        gc.collect()
                        time_calls(call, runs, timing.samples_ns)
                        queries_per_quote = statements / runs
                        warm.append(WarmResult(timing, queries_per_quote, call()))
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()
    return ExtensionResult(insert_s, cold_ms, cold_queries, warm)


# -- the report ----------------------------------------------------------------------------------


def describe_quote(quote: Quote) -> str:
    discounts = ", ".join(f"rule {d.rule_id} -¥{d.amount:,}" for d in quote.discounts)
    offers = ", ".join(f"{o.kind} rule {o.rule_id}" for o in quote.offers)
    return (
        f"subtotal ¥{quote.subtotal:,}, discounts [{discounts}], shipping ¥{quote.shipping_fee:,}, "
        f"total ¥{quote.total:,}; offers [{offers}]"
    )


def rule_mix(rules: Sequence[Rule]) -> str:
    kinds: dict[str, int] = {}
    for rule in rules:
        if isinstance(rule, FixedBundle):
            kind = f"{rule.mode.value} bundles"
        elif isinstance(rule, VolumeDiscount):
            kind = "category volume" if rule.categories else "product volume"
        else:
            kind = "shipping"
        kinds[kind] = kinds.get(kind, 0) + 1
    stackable = sum(rule.stackable for rule in rules)
    return ", ".join(f"{count:,} {kind}" for kind, count in sorted(kinds.items())) + f" ({stackable:,} stackable)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2_000, help="timed quotes per measurement (default 2,000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed quotes first (default 200)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the 10,000-rule engine quote")
    options = parser.parse_args(argv)

    wall = time.perf_counter()
    rng = random.Random(SEED)
    catalogue = build_catalogue(rng)
    cart = build_cart()
    started = time.perf_counter()
    rules = build_rules(rng, catalogue)
    rules_s = time.perf_counter() - started

    print("Tsuide quote latency")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{PRODUCT_COUNT:,} products in {CATEGORY_COUNT} categories; "
        f"a {len(cart.lines)}-line cart touching 5 rules plus shipping; "
        f"{options.runs:,} timed runs after {options.warmup:,} warm-up"
    )
    print(f"{max(RULE_COUNTS):,} rules built and validated in {rules_s * 1e3:.0f} ms: {rule_mix(rules)}\n")

    engine = bench_engine(cart, rules, catalogue, options.runs, options.warmup)
    no_rules, fewest = engine.timings[0].median_us, engine.timings[1].median_us
    print("Engine: quote_cart(cart, rulebook, products, now=...) with offers on")
    print(f"  {'rules':>8}  {'median µs':>10}  {'p99 µs':>9}  {'× no rules':>10}  {'× 10 rules':>10}")
    for timing in engine.timings:
        print(
            f"  {timing.name:>8}  {timing.median_us:>10.1f}  {timing.p99_us:>9.1f}"
            f"  {timing.median_us / no_rules:>10.2f}  {timing.median_us / fewest:>10.2f}"
        )
    print(f"  RuleBook build for {max(RULE_COUNTS):,} rules: {engine.rulebook_build_ms:.1f} ms (median of 15)")

    extension = bench_extension(cart, rules, catalogue, options.runs, options.warmup)
    print(f"\nExtension: tsuide.quote(cart) in a request context, SQLite file, {max(RULE_COUNTS):,} rules")
    print(f"  rules bulk-inserted in {extension.insert_s:.2f} s")
    print(f"  cold quote (loads the rules): {extension.cold_ms:,.1f} ms, SQL queries: {extension.cold_queries}")
    for warm in extension.warm:
        print(
            f"  warm quote, {warm.timing.name + ':':<10} median {warm.timing.median_us:7.1f} µs, "
            f"p99 {warm.timing.p99_us:7.1f} µs, SQL queries per quote: {warm.queries_per_quote:g}"
        )

    print(f"\nThe cart's quote: {describe_quote(engine.quotes[f'{max(RULE_COUNTS):,}'])}")
    target = next(t for t in engine.timings if t.name == f"{TARGET_RULES:,}")
    met = target.median_us < TARGET_MEDIAN_US
    print(
        f"Target: 10-line cart against {TARGET_RULES:,} rules under 1 ms median (engine): "
        f"{'met' if met else 'NOT met'} ({target.median_us:.1f} µs)"
    )
    print(f"(whole run {time.perf_counter() - wall:.1f} s)")

    if options.profile:
        profile_engine(cart, rules, catalogue, 500)

    status = 0
    ruled = [quote for name, quote in engine.quotes.items() if name != "no rules"]
    served = [warm.quote for warm in extension.warm]
    if any(quote != ruled[0] for quote in ruled + served):
        print("ERROR: the shops priced the cart differently, so these figures do not compare like with like.")
        for name, quote in engine.quotes.items():
            print(f"  {name}: {describe_quote(quote)}")
        for warm in extension.warm:
            print(f"  extension, {warm.timing.name}: {describe_quote(warm.quote)}")
        status = 2
    for warm in extension.warm:
        if warm.queries_per_quote > 1:
            made = f"{warm.queries_per_quote:g} SQL queries"
            print(f"FAIL: a warm {warm.timing.name} quote made {made}; it should make 1.")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
