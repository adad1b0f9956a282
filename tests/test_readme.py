"""The README's "Mount it in your shop" block runs as written: a newcomer can paste it and see the panel."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup

README = Path(__file__).resolve().parent.parent / "README.md"


def mount_block() -> str:
    """The first ``python`` block under "## Mount it in your shop", exactly as the README prints it."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Mount it in your shop"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_shop_runs_and_its_cart_page_shows_the_panel_with_a_price(tmp_path):
    source = tmp_path / "readme_shop.py"
    source.write_text(mount_block(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("readme_shop", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_shop"] = module
    try:
        spec.loader.exec_module(module)
        # The holdout (5% of visitors see no offers) would make a random test visitor see nothing.
        app = module.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.sqlite'}",
                                 "TSUIDE_HOLDOUT_PERCENT": 0, "TESTING": True})
        client = app.test_client()
        home = client.get("/").get_data(as_text=True)
        assert "防水スプレー" in home and "￥1,500" in home
        assert client.post("/cart/spray").status_code == 302
        page = client.get("/cart", headers={"Accept-Language": "ja"})
        assert page.status_code == 200
        soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
        assert soup.select_one("#total").get_text() == "￥1,500"
        panel = soup.select_one('[data-tsuide="cart"]')
        assert panel is not None and not panel.has_attr("hidden")
        offer = panel.select_one(".tsuide-offer")
        assert "スプレーとブラシのセット" in offer.get_text()
        assert "￥2,000" in offer.select_one(".tsuide-offer__total").get_text()  # the set's price, quoted
        assert "tsuide:cart-updated" in page.get_data(as_text=True)
        # The admin is closed until the shop opens it (is_admin), and open to staff.
        assert client.get("/tsuide/admin/").status_code == 403
        with client.session_transaction() as session:
            session["staff"] = True
        assert client.get("/tsuide/admin/").status_code == 200
        # A second start finds the rule and does not add it again.
        again = module.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.sqlite'}"})
        with again.app_context():
            assert module.db.session.query(module.models.Bundle).count() == 1
    finally:
        sys.modules.pop("readme_shop", None)


def rules_in_code_block() -> str:
    """The ``python`` block under "### Rules in code", exactly as the README prints it."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Rules in code"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_rules_in_code_run_and_mean_percent(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        exec(rules_in_code_block(), {"db": db})  # noqa: S102  (the README's own example)
        from plugin import models

        bags = db.session.query(models.Bundle).filter_by(label="3袋セット").one()
        assert (bags.pricing_mode, bags.pricing_value, bags.discount_percent) == ("percent_off", 1_000, 10)
        care = db.session.query(models.Bundle).filter_by(label="お手入れセット").one()
        assert (care.pricing_mode, care.pricing_value, care.discount_percent) == ("amount_off", 300, None)
        tiers = db.session.query(models.VolumeRule).one().steps
        assert [(step.threshold, step.percent_bp) for step in tiers] == [(2, 1_000), (3, 2_000)]
        spend = db.session.query(models.SpendRule).one().steps
        assert [(s.threshold, s.amount_off, s.discount_percent) for s in spend] == [(5_000, 500, None),
                                                                                   (10_000, None, 10)]
        assert db.session.query(models.GiftRule).one().gift_product_id == "tote"
    adapter.lines = {"healthfood": 3, "socks": 3}
    with app.test_request_context():
        quote = tsuide.quote(with_offers=False)
    # 10% of ¥9,000 for the bags, 20% of three ¥1,000 socks; ¥10,500 left, so 10% of it off the order (the
    # spend step), and over ¥5,000 before that, so no shipping.
    assert (quote.discount_total, quote.shipping_fee, quote.total) == (900 + 600 + 1_050, 0, 12_000 - 2_550)


def test_the_readme_admin_api_example_is_accepted_as_written(database_url, make_shop):
    """The JSON body under "### The admin" creates the set it describes: 12.5% off, a floor of cost + 10%."""
    import json

    text = README.read_text(encoding="utf-8")
    section = text[text.index("### The admin"):text.index("### Rules in code")]
    body = json.loads(re.search(r"```json\n(.*?)```", section, re.DOTALL).group(1))
    app, db, tsuide, adapter = make_shop(database_url, WTF_CSRF_ENABLED=False)
    adapter.admin = True
    created = app.test_client().post("/tsuide/admin/api/bundles", json=body)
    assert created.status_code == 201, created.json
    assert (created.json["discount_percent"], created.json["margin_floor_percent"]) == (12.5, 10)
    from plugin import models

    with app.app_context():
        bundle = db.session.query(models.Bundle).one()
        assert (bundle.pricing_value, bundle.margin_floor_bp) == (1_250, 1_000)
