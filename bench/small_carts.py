"""Small carts (1–10 lines) under a dozen rules of every kind, offers on: what a shop's cart page quotes most.

``bench/engine_ab.py`` runs these next to the worst cases (before and after a change, in one process), and with
``--random N`` quotes N random small carts over the same rules on both engines and flags any quote that differs.
Each case is ``(cart, rules, products, keyword arguments of quote_cart)``. The first mirrors the cart of
``bench/api_throughput.py`` on the demo shop (its 13 rules, its catalogue, the extension's arguments).

Imports come from ``plugin`` only (``engine_ab`` loads this file again on an older engine's package).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from plugin import BundleItem, BuyXGetY, Cart, CartLine, FixedBundle, PricingMode, Product, VolumeDiscount, VolumeTier
from plugin.engine.rules import FreeGift, ShippingStep, ShippingThreshold, SpendDiscount, SpendStep

NOW = datetime(2026, 12, 1, 0, 11, tzinfo=timezone.utc)

#: The demo's catalogue (``demo/catalogue.py``): id, category, price, cost; the scarf is out of stock.
CATALOGUE = [
    ("healthfood", "food", 3_000, 1_200), ("sneakers", "shoes", 12_000, 6_000), ("spray", "shoe-care", 1_500, 500),
    ("brush", "shoe-care", 800, 300), ("cleaner", "shoe-care", 1_200, 400), ("camera", "camera", 65_000, 50_000),
    ("lens", "camera", 28_000, 20_000), ("tripod", "camera", 6_000, 3_000), ("sdcard", "camera", 3_000, 1_000),
    ("laptop", "computers", 120_000, 96_000), ("laptop-pro", "computers", 160_000, 128_000),
    ("mouse", "computers", 3_500, 1_500), ("keyboard", "computers", 7_000, 3_500), ("serum", "skincare", 4_800, 1_600),
    ("toner", "skincare", 3_200, 1_000), ("socks", "accessories", 1_000, 300), ("cap", "accessories", 2_500, 900),
    ("tote", "accessories", 2_000, 700), ("scarf", "accessories", 3_500, 1_500), ("ecobag", "novelty", 1_000, 400),
]
PRODUCTS = {pid: Product(pid, pid.title(), price, category, in_stock=pid != "scarf", cost=cost)
            for pid, category, price, cost in CATALOGUE}
#: What the extension passes on the demo's cart page (``TSUIDE_MAX_CART_OFFERS``, the ceiling of 2.0...).
DEMO_ARGUMENTS = dict(now=NOW, currency="JPY", locale="ja", max_offers=2, max_gap_fillers=2,
                      max_added_ratio_bp=20_000)


def _bundle(rule_id, items, mode, value, **terms):
    return FixedBundle(id=rule_id, label=f"bundle {rule_id}", items=tuple(BundleItem(pid, qty) for pid, qty in items),
                       mode=mode, value=value, **terms)


def demo_rules() -> list:
    """The demo shop's 13 rules (``demo/catalogue.py``, as ``flask --app demo demo seed`` stores them)."""
    percent, amount, fixed = PricingMode.PERCENT_OFF, PricingMode.AMOUNT_OFF, PricingMode.FIXED_PRICE
    return [
        _bundle("1", [("healthfood", 3)], percent, 1_000, translations=(("en", "3-bag set, 10% off"),)),
        _bundle("2", [("spray", 1), ("brush", 1), ("cleaner", 1)], fixed, 2_900),
        _bundle("3", [("sneakers", 1), ("spray", 1), ("brush", 1), ("cleaner", 1)], amount, 1_500),
        _bundle("4", [("camera", 1), ("lens", 1), ("tripod", 1), ("sdcard", 1)], amount, 5_000, margin_floor_bp=1_000),
        _bundle("5", [("laptop", 1), ("mouse", 1), ("keyboard", 1)], amount, 3_000, margin_floor_bp=500),
        _bundle("6", [("serum", 1), ("toner", 1)], fixed, 7_200),
        _bundle("7", [("healthfood", 1), ("serum", 1)], amount, 500),
        _bundle("8", [("keyboard", 1)], percent, 1_000),
        VolumeDiscount(id="9", label="accessories", categories=frozenset({"accessories"}),
                       tiers=(VolumeTier(2, 1_000), VolumeTier(3, 2_000))),
        BuyXGetY(id="10", label="socks 2+1", buy_product_ids=frozenset({"socks"}), buy_quantity=2, get_quantity=1,
                 mode=percent, value=10_000, max_units=2),
        ShippingThreshold(id="11", label="shipping", currency="JPY", threshold=5_000, fee=600,
                          steps=(ShippingStep(4_500, 300),)),
        SpendDiscount(id="12", label="spend", currency="JPY",
                      steps=(SpendStep(100_000, amount_off=3_000), SpendStep(200_000, percent_bp=500))),
        FreeGift(id="13", label="gift", currency="JPY", gift_product_id="ecobag", threshold=20_000),
    ]


def mixed_rules() -> list:
    """A dozen rules of every kind and term over the demo's catalogue: stackable and exclusive rules, caps, a
    schedule, margin floors, shipping steps within an item discount's reach, spend steps, a gift earned by a
    product and one by spend."""
    percent, amount, fixed = PricingMode.PERCENT_OFF, PricingMode.AMOUNT_OFF, PricingMode.FIXED_PRICE
    return [
        _bundle("21", [("spray", 1), ("brush", 1)], fixed, 2_000, margin_floor_bp=2_000),
        _bundle("22", [("serum", 1), ("toner", 1)], percent, 1_500, exclusive=True),
        _bundle("23", [("healthfood", 2)], amount, 700, per_customer_cap=1),
        _bundle("24", [("mouse", 1), ("keyboard", 1)], percent, 1_000, stackable=True),
        _bundle("25", [("tote", 1), ("cap", 1)], amount, 400, ends_at=NOW + timedelta(days=1), max_units=4),
        VolumeDiscount(id="26", label="care", categories=frozenset({"shoe-care", "skincare"}),
                       tiers=(VolumeTier(2, 500), VolumeTier(4, 1_500)), stackable=True),
        VolumeDiscount(id="27", label="accessories", categories=frozenset({"accessories"}), product_ids=frozenset({"sdcard"}),
                       tiers=(VolumeTier(3, 1_000),), max_units=4),
        BuyXGetY(id="28", label="socks", buy_product_ids=frozenset({"socks"}), buy_quantity=2, get_quantity=1),
        BuyXGetY(id="29", label="camera gear", buy_categories=frozenset({"camera"}), buy_quantity=1,
                 get_product_ids=frozenset({"sdcard", "tripod"}), get_quantity=1, mode=amount, value=1_000,
                 global_cap=50, redeemed=10),
        ShippingThreshold(id="30", label="shipping", currency="JPY", threshold=8_000, fee=800,
                          steps=(ShippingStep(5_000, 500), ShippingStep(6_500, 200))),
        SpendDiscount(id="31", label="spend", currency="JPY",
                      steps=(SpendStep(6_000, amount_off=300), SpendStep(15_000, percent_bp=500))),
        SpendDiscount(id="32", label="spend stacked", currency="JPY", stackable=True,
                      steps=(SpendStep(30_000, amount_off=1_000),)),
        FreeGift(id="33", label="gift by spend", currency="JPY", gift_product_id="ecobag", threshold=7_000),
        FreeGift(id="34", label="gift by product", currency="JPY", gift_product_id="socks",
                 trigger_product_ids=frozenset({"sneakers", "laptop"})),
    ]


def _cart(*lines) -> Cart:
    return Cart(tuple(CartLine(pid, qty, PRODUCTS[pid].price) for pid, qty in lines))


def cases() -> list[tuple[str, object]]:
    """The small-cart cases, as (name, builder of ``(cart, rules, products, arguments)``)."""
    demo, mixed = demo_rules(), mixed_rules()
    companions = {"sneakers": ["spray", "socks"], "camera": ["sdcard"], "healthfood": ["serum"]}
    found = [
        ("demo: the bench's 3-line cart, 13 rules", _cart(("healthfood", 1), ("sneakers", 1), ("camera", 1)), demo,
         {"companions": {"camera": [], "healthfood": [], "sneakers": []}}),
        ("demo: 1 line, a spray", _cart(("spray", 1)), demo, {}),
        ("demo: 2 lines near free shipping", _cart(("brush", 1), ("socks", 2)), demo, {"companions": companions}),
        ("demo: 5 lines, a set, socks, a cap", _cart(("sneakers", 1), ("spray", 1), ("brush", 1), ("socks", 3),
                                                     ("cap", 1)), demo, {"companions": companions}),
        ("demo: 10 lines", _cart(*[(pid, 1 + index % 3) for index, pid in enumerate(
            ["healthfood", "serum", "toner", "keyboard", "mouse", "socks", "cap", "tote", "spray", "sdcard"])]),
         demo, {"companions": companions}),
        ("mixed: 3 lines by a shipping step", _cart(("spray", 1), ("brush", 1), ("toner", 1)), mixed, {}),
        ("mixed: 6 lines, every kind", _cart(("serum", 1), ("toner", 1), ("socks", 2), ("camera", 1), ("tripod", 1),
                                             ("mouse", 1)), mixed, {"companions": companions, "customer_used": {"23": 1}}),
        ("mixed: 10 lines, every kind", _cart(*[(pid, 1 + index % 2) for index, pid in enumerate(
            ["healthfood", "spray", "brush", "serum", "toner", "keyboard", "mouse", "socks", "cap", "tote"])]),
         mixed, {"companions": companions}),
    ]
    return [(name, lambda cart=cart, rules=rules, extra=extra:
             (cart, rules, PRODUCTS, {**DEMO_ARGUMENTS, **extra})) for name, cart, rules, extra in found]


def random_cases(count: int, seed: int = 0) -> list[tuple[Cart, list, dict, dict]]:
    """``count`` random small carts (1–10 lines of the catalogue, 1–3 units each, now and then a second line of a
    product at another price) under the demo's rules, the mixed ones, or a random dozen of both, with random
    arguments (locale, places for offers, ceiling, companions, a shop-wide floor, caps used)."""
    rng = random.Random(seed)
    demo, mixed = demo_rules(), mixed_rules()
    ids = list(PRODUCTS)
    found = []
    for _ in range(count):
        lines = []
        for pid in rng.sample(ids, rng.randint(1, 10)):
            lines.append(CartLine(pid, rng.randint(1, 3), PRODUCTS[pid].price))
            if rng.random() < 0.1:
                lines.append(CartLine(pid, 1, PRODUCTS[pid].price // 2))
        choice = rng.random()
        if choice < 0.35:
            rules = demo
        elif choice < 0.7:
            rules = mixed
        else:
            rules = rng.sample(demo + mixed, 12)
        arguments = dict(DEMO_ARGUMENTS, locale=rng.choice(["ja", "en", None]), max_offers=rng.choice([None, 1, 2, 3]),
                         max_added_ratio_bp=rng.choice([None, 5_000, 20_000]),
                         companions={pid: rng.sample(ids, 2) for pid in rng.sample(ids, 3)},
                         margin_floor_bp=rng.choice([None, None, 1_000]),
                         customer_used=rng.choice([{}, {"23": 1}]))
        found.append((Cart(tuple(lines)), rules, PRODUCTS, arguments))
    return found
