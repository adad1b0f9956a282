"""Restraint: what the shopper is offered stays in proportion to the cart, and admin-blocked or thin pairs stay out."""
from __future__ import annotations

import pytest
from factories import bundle, cart, quote, shipping

SPRAY_AND_SNEAKERS = bundle("run-kit", {"spray": 1, "sneakers": 1}, "amount_off", 1_000)
SPRAY_SET = bundle("shoe-care", {"spray": 1, "brush": 1}, "amount_off", 300)


def test_an_offer_over_the_ceiling_is_not_shown_and_one_under_it_is():
    # ¥1,500 of spray: the ¥12,000 sneakers would add 8x the cart, the brush is within one cart's worth.
    q = quote(cart(("spray", 1)), SPRAY_AND_SNEAKERS, SPRAY_SET, max_added_ratio_bp=10_000)
    assert [offer.rule_id for offer in q.offers] == ["shoe-care"]
    assert all(offer.added_price <= 1_500 for offer in q.offers)
    unbounded = quote(cart(("spray", 1)), SPRAY_AND_SNEAKERS, SPRAY_SET)
    assert "run-kit" in [offer.rule_id for offer in unbounded.offers]


def test_a_bought_together_product_over_the_ceiling_is_not_offered():
    companions = {"spray": ["sneakers", "brush"]}
    q = quote(cart(("spray", 1)), companions=companions, max_added_ratio_bp=10_000)
    assert [offer.add[0].product_id for offer in q.offers] == ["brush"]
    unbounded = quote(cart(("spray", 1)), companions=companions)
    assert [offer.add[0].product_id for offer in unbounded.offers] == ["sneakers", "brush"]


def test_a_gap_filler_over_the_ceiling_is_not_suggested():
    companions = {"spray": ["sneakers"]}
    bounded = quote(cart(("spray", 1)), shipping(threshold=10_000), companions=companions, max_added_ratio_bp=10_000)
    assert bounded.gap_fillers == ()
    unbounded = quote(cart(("spray", 1)), shipping(threshold=10_000), companions=companions)
    assert [filler.product.id for filler in unbounded.gap_fillers] == ["sneakers"]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_the_ceiling_must_be_whole_basis_points(bad):
    with pytest.raises(ValueError, match="max_added_ratio_bp"):
        quote(cart(("spray", 1)), max_added_ratio_bp=bad)


# -- through the extension: the setting, mined pairs' minimum orders, blocked pairs -------------------------

from datetime import date  # noqa: E402

from test_mining import MiningAdapter, mine  # noqa: E402

from plugin import models  # noqa: E402


def _health_history(together: int):
    """30 orders: healthfood (the serum of the issue) in all of them, the sneakers in ``together`` of them, the spray in 12."""
    today = date.today()
    history = [(f"O-{n}", "healthfood", 1, today) for n in range(30)]
    history += [(f"O-{n}", "sneakers", 1, today) for n in range(together)]
    history += [(f"O-{n}", "spray", 1, today) for n in range(18, 30)]
    history += [(f"P-{n}", "socks", 1, today) for n in range(100)]
    return history


def _offered(app, tsuide, adapter, lines):
    adapter.lines = dict(lines)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        quote = tsuide.quote()
    return [offer.add[0].product_id for offer in quote.offers], [filler.product.id for filler in quote.gap_fillers]


def test_the_extension_passes_the_cart_offer_ceiling(database_url, make_shop):
    today = date.today()
    history = [(f"O-{n}", "spray", 1, today) for n in range(10)] + [(f"O-{n}", "sneakers", 1, today)
                                                                      for n in range(10)]
    history += [(f"O-{n}", "brush", 1, today) for n in range(10)] + [(f"P-{n}", "socks", 1, today)
                                                                       for n in range(60)]
    app, db, tsuide, adapter = make_shop(database_url, adapter=MiningAdapter(history),
                                         TSUIDE_CART_OFFER_MAX_RATIO=1.0)  # the shop default (tests/shop.py: off)
    assert mine(app).exit_code == 0
    # ¥1,500 of spray: the ¥800 brush is offered, the ¥12,000 sneakers are not (追加後の合計 ¥14,000 no more).
    assert _offered(app, tsuide, adapter, {"spray": 1})[0] == ["brush"]
    app.config["TSUIDE_CART_OFFER_MAX_RATIO"] = None
    assert sorted(_offered(app, tsuide, adapter, {"spray": 1})[0]) == ["brush", "sneakers"]


def test_a_mined_pair_needs_the_minimum_orders_together(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url, adapter=MiningAdapter(_health_history(2)))
    app.config["TSUIDE_CART_OFFER_MAX_RATIO"] = None  # the sneakers cost more than the serum: not the point here
    assert mine(app).exit_code == 0
    # 2 of 30 orders: lift and support pass, the count does not.
    assert _offered(app, tsuide, adapter, {"healthfood": 1})[0] == ["spray"]
    app.config["TSUIDE_MINED_MIN_ORDERS"] = 2
    assert sorted(_offered(app, tsuide, adapter, {"healthfood": 1})[0]) == ["sneakers", "spray"]


def test_a_blocked_pair_is_never_offered_nor_a_gap_filler(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url, adapter=MiningAdapter(_health_history(12)),
                                         WTF_CSRF_ENABLED=False)
    app.config["TSUIDE_CART_OFFER_MAX_RATIO"] = None
    adapter.admin = True
    assert mine(app).exit_code == 0
    with app.app_context():
        db.session.add(models.ShippingRule(label="Free", currency="JPY", threshold=4_000, fee=600))
        db.session.commit()
    offered, fillers = _offered(app, tsuide, adapter, {"healthfood": 1})
    assert "spray" in offered and "spray" in fillers
    client = app.test_client()
    response = client.post("/tsuide/admin/api/mined-pairs/block", json={"product_a": "spray", "product_b": "healthfood"})
    assert response.status_code == 200 and response.json["blocked"] is True
    offered, fillers = _offered(app, tsuide, adapter, {"healthfood": 1})
    assert "spray" not in offered and "spray" not in fillers
    assert "sneakers" in offered
    # The page lists it as blocked, with a button to allow it again; the block outlives a re-run.
    page = client.get("/tsuide/admin/pairs", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "停止中" in page and "提案を再開する" in page and "一緒に提案しない" in page
    assert mine(app).exit_code == 0
    assert "spray" not in _offered(app, tsuide, adapter, {"healthfood": 1})[0]
    assert client.post("/tsuide/admin/pairs/block",
                       data={"product_a": "healthfood", "product_b": "spray", "blocked": "0"}).status_code == 302
    assert "spray" in _offered(app, tsuide, adapter, {"healthfood": 1})[0]
    assert client.post("/tsuide/admin/api/mined-pairs/block",
                       json={"product_a": "healthfood", "product_b": "spray", "blocked": "no"}).status_code == 400
