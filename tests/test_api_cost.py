"""What the cart API's cheaper parts must still do: the answer encoded once as JSON, beacon tokens from
itsdangerous without the zlib attempt for a panel's few ids, and the panels' form address built once per app and
script root (see docs/performance.md, "The cart API under gunicorn")."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from bs4 import BeautifulSoup
from itsdangerous import URLSafeTimedSerializer

from plugin import models
from plugin.storefront import beacons


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A spray in the cart of a shop with a Japanese-named bundle: the panel offers it."""
    from shop import make_shop

    app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path_factory.mktemp('cost') / 'shop.sqlite'}")
    with app.app_context():
        db.session.add(models.Bundle(label="シューケア3点", pricing_mode="fixed_price", pricing_value=2_900,
                                     items=[models.RuleItem(product_id=pid, quantity=1, position=i)
                                            for i, pid in enumerate(["spray", "brush", "cleaner"])]))
        db.session.add(models.ShippingRule(label="送料無料", currency="JPY", threshold=5_000, fee=600))
        db.session.commit()
    adapter.lines = {"spray": 1}
    yield app, tsuide
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_cart_answer_is_compact_utf8_json(shop):
    app, _ = shop
    response = app.test_client().get("/tsuide/api/cart")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    raw = response.get_data()
    body = json.loads(raw.decode("utf-8"))
    assert body == response.get_json()
    assert "シューケア3点" in raw.decode("utf-8")  # written as UTF-8, not as \u escapes
    assert b"\\u" not in raw
    assert json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() == raw  # once, compactly
    assert [offer["label"] for offer in body["offers"]] == ["シューケア3点"]
    assert body["panel_html"].startswith('<section class="tsuide-panel"')
    assert body["beacon_token"] in body["panel_html"]


def test_a_shops_text_that_utf8_cannot_carry_is_escaped_not_a_failure(shop):
    """A lone surrogate (a product name decoded wrongly by the shop) cannot be written as UTF-8: the answer falls
    back to \\u escapes, as jsonify wrote it, instead of failing into a 503."""
    app, _ = shop
    adapter = app.extensions["tsuide"].adapter
    brush = adapter.catalogue["brush"]
    adapter.catalogue["brush"] = replace(brush, name="ブラシ\udc80")
    try:
        response = app.test_client().get("/tsuide/api/cart")
        assert response.status_code == 200
        assert response.get_data().isascii()
        body = json.loads(response.get_data())
        assert "ブラシ\udc80" in body["panel_html"]
        assert [offer["label"] for offer in body["offers"]] == ["シューケア3点"]
    finally:
        adapter.catalogue["brush"] = brush


def test_an_add_answers_with_the_same_encoding(shop):
    app, _ = shop
    client = app.test_client()
    panel = BeautifulSoup(client.get("/tsuide/api/cart").get_json()["panel_html"], "html.parser")
    token = panel.select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]
    response = client.post("/tsuide/api/cart/items", json={"items": [{"product_id": "brush", "quantity": 1}]},
                           headers={"X-CSRFToken": token})
    try:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        assert b"\\u" not in response.get_data()
        assert response.get_json()["message"] == "カートに追加しました。"
    finally:
        app.extensions["tsuide"].adapter.lines = {"spray": 1}


@pytest.mark.parametrize("offers", [[], ["12"], ["12", "13", "4"], ["gap:brush", "gap:cleaner", "7", "pair:spray"]])
def test_a_panels_beacon_token_is_the_one_itsdangerous_makes(shop, offers):
    """A panel's token is signed by itsdangerous and loads with ``URLSafeTimedSerializer``; where compressing would
    not pay (a few short ids), it is the very token that serializer makes."""
    app, _ = shop
    with app.test_request_context("/cart"):
        token = beacons.beacon_token(offers)
        stock = URLSafeTimedSerializer([app.secret_key], salt="tsuide-beacon")
        payload = stock.loads(token, max_age=beacons.TOKEN_MAX_AGE)
        assert payload == {"visitor": beacons.visitor_id(), "offers": sorted(set(offers)), "order": None}
        assert not token.startswith(".")
        signed_part, stocks = token.rsplit(".", 2)[0], stock.dump_payload(payload).decode()
        if len(offers) < 4:
            assert signed_part == stocks  # the same bytes as itsdangerous' own
        else:
            assert stocks.startswith(".") and signed_part != stocks  # zlib would save a few bytes: not worth it
        assert beacons.shown(token) == beacons.Shown(frozenset(offers))


def test_a_long_payload_is_still_compressed_and_every_token_loads(shop):
    app, _ = shop
    many = [f"gap:product-{number}" for number in range(40)]
    with app.test_request_context("/cart"):
        token = beacons.beacon_token(many, order_id="42")
        assert token.startswith(".")  # compressed, as itsdangerous would
        assert len(json.dumps(many)) > beacons.COMPRESS_FROM
        assert beacons.shown(token) == beacons.Shown(frozenset(many), "42")
        stock = URLSafeTimedSerializer([app.secret_key], salt="tsuide-beacon")
        made_before = stock.dumps({"visitor": beacons.visitor_id(), "offers": ["12"], "order": None})
        assert beacons.shown(made_before) == beacons.Shown(frozenset({"12"}))  # tokens made by the old code
        forged = URLSafeTimedSerializer(["another key"], salt="tsuide-beacon").dumps(
            {"visitor": beacons.visitor_id(), "offers": ["12"], "order": None})
        assert beacons.shown(forged) is None


def test_the_forms_post_under_the_apps_script_root(shop):
    """The form address is built once per app and script root: a shop mounted under /shop posts under /shop."""
    app, tsuide = shop
    seen = {}
    for root in ("", "/shop", "", "/other"):
        with app.test_request_context("/cart", base_url=f"http://localhost{root}/"):
            soup = BeautifulSoup(str(tsuide.cart_panel()), "html.parser")
            actions = {form["action"] for form in soup.select("form")}
            assert actions, str(soup)
            seen.setdefault(root, actions)
            assert seen[root] == actions == {f"{root}/tsuide/api/cart/items"}


def test_each_app_has_its_own_form_address(tmp_path):
    from shop import make_shop

    made = []
    try:
        for prefix in ("/tsuide", "/offers"):
            app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path / (prefix[1:] + '.sqlite')}",
                                                 TSUIDE_URL_PREFIX=prefix)
            made.append((app, db))
            with app.app_context():
                db.session.add(models.Bundle(label="ブラシとスプレー", pricing_mode="fixed_price", pricing_value=2_000,
                                             items=[models.RuleItem(product_id=pid, quantity=1, position=i)
                                                    for i, pid in enumerate(["spray", "brush"])]))
                db.session.commit()
            adapter.lines = {"spray": 1}
            with app.test_request_context("/cart"):
                soup = BeautifulSoup(str(tsuide.cart_panel()), "html.parser")
            assert {form["action"] for form in soup.select("form")} == {f"{prefix}/api/cart/items"}
    finally:
        for app, db in made:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
