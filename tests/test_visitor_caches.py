"""What the cart API keeps between one visitor's requests, and what it must never keep (docs/performance.md, "Fourth
round"): the verified visitor cookie (by signing keys and cookie), the visitor's A/B exposure (by snapshot, visitor,
salt and holdout share) and the variants' rule views (by snapshot). Each is bounded, forgets on a key rotation, a
rule or setting change and a new holdout share, and never keeps what depends on the moment (the urgency check)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from plugin import models
from plugin.storage.rule_cache import Memo
from plugin.storefront import visitor as visitor_module
from plugin.storefront.visitor import VERIFIED_COOKIES, visitor_cookie
from plugin.engine.variants import choose
from plugin.storefront.visitor import assignment_salt
from shop import ARMS, as_visitor, held_out_visitor, visitor_for
from test_honest_urgency import FAR, untrue_shop


def cart(client, language="ja"):
    response = client.get("/tsuide/api/cart", headers={"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def buttons(body) -> list[str]:
    panel = BeautifulSoup(body["panel_html"], "html.parser")
    return [button.get_text(strip=True) for button in panel.select(".tsuide-offer button")]


def snapshot_of(app):
    tsuide = app.extensions["tsuide"]
    with app.app_context():
        state = tsuide._state()
        snapshot, _ = state.store.current(state.db.session, None)
    return snapshot


@pytest.fixture
def trio_shop(database_url, make_shop):
    """A shoe-care trio under an A/B test whose arm B's button says "お急ぎください", ending in 30 days (FAR): too far
    for the urgency to be true today, true from 14 days before the end."""
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "far")
    adapter.lines = {"spray": 1}
    return app, db, tsuide, adapter, ids


class Frozen:
    """``plugin.extension.datetime`` at a moment of the test's choosing (what the request's guard reads)."""

    moment: datetime | None = None

    @classmethod
    def now(cls, tz=None):
        return cls.moment if cls.moment is not None else datetime.now(tz)


def test_the_urgency_check_of_a_kept_exposure_is_made_at_each_requests_moment(trio_shop, monkeypatch):
    """The visitor's exposure is kept between requests, but its button's urgency is checked at each request's moment:
    held back today (the end is 30 days away), shown 3 days before the end, for the same visitor and snapshot."""
    import plugin.extension as extension

    app, db, tsuide, adapter, ids = trio_shop
    client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "B", holdout_bp=500))
    first = cart(client)
    assert [offer["label"] for offer in first["offers"]] == ["3点で¥2,900"]  # the label's urgency held back too
    assert buttons(first) != ["お急ぎください"]
    kept = len(snapshot_of(app).exposures)
    assert kept >= 1

    class Later(Frozen):
        moment = FAR.replace(tzinfo=timezone.utc) - timedelta(days=3)

    monkeypatch.setattr(extension, "datetime", Later)
    later = cart(client)
    assert buttons(later) == ["お急ぎください"]  # the end is now within TSUIDE_URGENCY_MAX_DAYS: the claim is true
    assert [offer["label"] for offer in later["offers"]] == ["ラストチャンス：3点セット"]  # arm B's own label
    assert len(snapshot_of(app).exposures) == kept  # the same kept exposure, checked again
    monkeypatch.undo()
    assert buttons(cart(client)) == buttons(first)  # and back today: held back again


def test_an_offers_end_passing_ends_the_offer_for_a_visitor_whose_exposure_is_kept(trio_shop, monkeypatch):
    import plugin.extension as extension

    app, db, tsuide, adapter, ids = trio_shop
    client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "B", holdout_bp=500))
    assert [offer["rule_id"] for offer in cart(client)["offers"]] == [ids["trio"]]

    class After(Frozen):
        moment = FAR.replace(tzinfo=timezone.utc) + timedelta(seconds=1)

    monkeypatch.setattr(extension, "datetime", After)
    assert cart(client)["offers"] == []


def test_a_rule_change_gives_a_kept_visitor_the_new_variants(database_url, make_shop):
    """Arm B's words are kept for the visitor under the old rules; once the test is ended (its variants deleted, which
    moves the version stamp), the same visitor gets the rule's own at once. (The trio ends in 3 days here, so its
    urgency is true and shown.)"""
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "soon")
    adapter.lines = {"spray": 1}
    client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "B", holdout_bp=500))
    before = cart(client, "en")
    assert [offer["label"] for offer in before["offers"]] == ["Last chance: the trio"]
    assert buttons(before) == ["Hurry, add them"]
    assert buttons(cart(client, "en")) == ["Hurry, add them"]  # read from the kept exposure
    with app.app_context():
        rule = db.session.get(models.Rule, int(ids["trio"]))
        for variant in list(rule.variants):
            db.session.delete(variant)
        db.session.commit()  # moves the version stamp
    body = cart(client, "en")
    assert [offer["label"] for offer in body["offers"]] == ["Today only: shoe-care trio"]  # the rule's own
    assert buttons(body) == ["Add 2 items"]


def test_a_new_holdout_share_takes_effect_for_a_kept_visitor(trio_shop):
    """From the app's config (no new rule version) and from the admin's saved setting (a new version) alike."""
    app, db, tsuide, adapter, ids = trio_shop
    visitor = held_out_visitor(app, 500)
    client = as_visitor(app, app.test_client(), visitor)
    held = cart(client)
    assert held["offers"] == [] and "hidden" in held["panel_html"].split(">")[0]
    app.config["TSUIDE_HOLDOUT_PERCENT"] = 0
    shown = cart(client)
    assert [offer["rule_id"] for offer in shown["offers"]] == [ids["trio"]]
    with app.app_context():
        db.session.merge(models.Setting(key="holdout_percent", value=100))
        db.session.commit()  # moves the version stamp
    assert cart(client)["offers"] == []


def test_a_new_assignment_salt_draws_a_kept_visitor_again(trio_shop):
    app, db, tsuide, adapter, ids = trio_shop
    client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "B", holdout_bp=500))
    cart(client)
    kept = snapshot_of(app).exposures
    before = len(kept)
    app.config["TSUIDE_ASSIGNMENT_SALT"] = "a new salt"
    cart(client)
    assert len(kept) == before + 1  # a new key: drawn again under the new salt, not read from the old draw


def test_a_rotated_key_stops_a_kept_cookie_unless_it_is_a_fallback(trio_shop):
    """A cookie verified under the old key is kept by (keys, cookie): with the key replaced and not listed as a
    fallback it no longer verifies (a fresh id, a new cookie); listed as a fallback it does, and is signed anew."""
    app, db, tsuide, adapter, ids = trio_shop
    visitor = visitor_for(app, ids["trio"], "B", holdout_bp=500)
    client = as_visitor(app, app.test_client(), visitor)
    old_cookie = client.get_cookie("tsuide_visitor").value
    for _ in range(2):
        response = client.get("/tsuide/api/cart")
        assert response.status_code == 200
        assert not any(value.startswith("tsuide_visitor=") for value in response.headers.getlist("Set-Cookie"))
    old_key = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY="rotated", SECRET_KEY_FALLBACKS=[old_key])
    response = client.get("/tsuide/api/cart")
    assert response.status_code == 200
    renewed = client.get_cookie("tsuide_visitor").value
    assert renewed != old_cookie and renewed.split(".")[0] == visitor  # kept, signed with the new key
    app.config.update(SECRET_KEY="rotated again", SECRET_KEY_FALLBACKS=[])
    client.set_cookie("tsuide_visitor", old_cookie)
    response = client.get("/tsuide/api/cart")
    assert response.status_code == 200
    fresh = client.get_cookie("tsuide_visitor").value
    assert fresh.split(".")[0] != visitor  # the old key is gone: the kept answer for it is not used


def test_forged_cookies_are_never_kept_and_signed_ones_are_bounded(trio_shop):
    app, db, tsuide, adapter, ids = trio_shop
    visitor_module._checked.cache_clear()
    client = app.test_client()
    for number in range(200):  # forged: not signed by this shop
        client.set_cookie("tsuide_visitor", f"{number:016x}.bm90LW91ci1zaWduYXR1cmU")
        assert client.get("/tsuide/api/cart").status_code == 200
    assert visitor_module._checked.cache_info().currsize == 0
    with app.test_request_context():
        keys = tuple(visitor_module.signing_keys())
        for number in range(VERIFIED_COOKIES + 100):  # a flood of ids the shop did sign
            assert visitor_module._checked(keys, visitor_cookie(f"{number:016x}")) == (f"{number:016x}", True)
    info = visitor_module._checked.cache_info()
    assert info.currsize == info.maxsize == VERIFIED_COOKIES


def test_a_snapshot_keeps_a_bounded_number_of_visitors_each_with_their_own_variant(database_url, make_shop):
    """Ten visitors through a snapshot that keeps four: each sees their own arm's words on every request, whether
    their exposure was kept or had to be worked out again."""
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "soon")
    adapter.lines = {"spray": 1}
    app.config["TSUIDE_HOLDOUT_PERCENT"] = 0
    cart(app.test_client())
    snapshot = snapshot_of(app)
    snapshot.exposures.size = 4
    with app.app_context():
        salt = assignment_salt()
    visitors = [f"{number:016x}" for number in range(10)]
    words = {"A": "Today only: shoe-care trio", "B": "Last chance: the trio"}
    for _ in range(2):
        for visitor in visitors:
            arm = choose(visitor, ids["trio"], ARMS, salt=salt).name
            body = cart(as_visitor(app, app.test_client(), visitor), "en")
            assert [offer["label"] for offer in body["offers"]] == [words[arm]], visitor
            assert len(snapshot.exposures) <= 4
    assert {choose(visitor, ids["trio"], ARMS, salt=salt).name for visitor in visitors} == {"A", "B"}
    assert snapshot_of(app) is snapshot


def test_the_memo_is_bounded_and_safe_across_threads():
    memo = Memo(8)
    made = []
    errors = []

    def work(offset):
        try:
            for number in range(200):
                key = (number + offset) % 40
                assert memo.get(key, lambda: made.append(key) or key * 2) == key * 2
                assert len(memo) <= 8
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(memo) == 8
    assert memo.get("new", lambda: "made") == "made" and memo.get("new", lambda: "again") == "made"


@pytest.mark.parametrize("signed", ["<script>", "ABCDEF0123456789", "0123456789abcdef0"])
def test_a_signed_value_that_is_not_a_visitor_id_is_never_used_kept_or_not(trio_shop, signed):
    """Signed with the shop's key and salt but not 16 lowercase hex digits (another version's value, say): the
    request gets a fresh id instead, the first time and when the verification is kept."""
    import re

    from plugin.storefront.visitor import visitor_id

    app, db, tsuide, adapter, ids = trio_shop
    with app.app_context():
        cookie = visitor_cookie(signed)
    seen = set()
    for _ in range(2):
        with app.test_request_context("/tsuide/api/cart", headers={"Cookie": f"tsuide_visitor={cookie}"}):
            found = visitor_id()
            assert re.fullmatch(r"[0-9a-f]{16}", found) and found != signed
            assert tsuide.exposure().visitor == found
            seen.add(found)
    assert len(seen) == 2  # a fresh random id each time, never one read from the value


def test_an_english_button_alone_claiming_urgency_is_checked_at_each_moment(database_url, make_shop, monkeypatch):
    """Arm B's Japanese button claims nothing, its English one does ("Hurry"): the kept exposure is still checked for
    an English shopper, held back today (the end 30 days away), shown 3 days before the end."""
    import plugin.extension as extension
    from shop import OrderingAdapter

    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter, TSUIDE_HOLDOUT_PERCENT=0)
    with app.app_context():
        trio = models.Bundle(label="シューケア3点", label_en="Shoe-care trio", pricing_mode="fixed_price",
                             pricing_value=2_900, ends_at=FAR,
                             items=[models.RuleItem(product_id=pid, quantity=1, position=n)
                                    for n, pid in enumerate(("spray", "brush", "cleaner"))])
        trio.variants = [models.Variant(name="A"), models.Variant(name="B", button_label="セットにする",
                                                                   button_label_en="Hurry, add them", position=1)]
        db.session.add(trio)
        db.session.commit()
        trio_id = str(trio.id)
    adapter.lines = {"spray": 1}
    client = as_visitor(app, app.test_client(), visitor_for(app, trio_id, "B"))
    assert buttons(cart(client, "ja")) == ["セットにする"]
    assert buttons(cart(client, "en")) == ["セットにする"]  # its English held back: the arm's other button

    class Later(Frozen):
        moment = FAR.replace(tzinfo=timezone.utc) - timedelta(days=3)

    monkeypatch.setattr(extension, "datetime", Later)
    assert buttons(cart(client, "en")) == ["Hurry, add them"]


def test_what_a_carts_products_call_for_is_kept_but_their_categories_and_stock_are_read_each_time(
        database_url, make_shop):
    """The rules and products a cart of these products calls for are kept by the snapshot; the products are asked
    for on every request: a product moved into a tier's category gets the tier at once, one sold out is no longer
    offered, and a new mining threshold is a new look-up."""
    from dataclasses import replace

    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add(models.VolumeRule(label="小物2点で10%オフ", label_en="10% off 2 accessories",
                                         categories=[models.RuleCategory(category="accessories")],
                                         steps=[models.RuleStep(threshold=2, percent_bp=1_000)]))
        db.session.add(models.Bundle(label="シューケア3点", label_en="Shoe-care trio", pricing_mode="fixed_price",
                                     pricing_value=2_900,
                                     items=[models.RuleItem(product_id=pid, quantity=1, position=n)
                                            for n, pid in enumerate(("spray", "brush", "cleaner"))]))
        db.session.commit()
    client = app.test_client()
    adapter.lines = {"healthfood": 2}
    assert cart(client, "en")["discounts"] == []
    adapter.catalogue["healthfood"] = replace(adapter.catalogue["healthfood"], category="accessories")
    assert [discount["label"] for discount in cart(client, "en")["discounts"]] == ["10% off 2 accessories"]
    adapter.lines = {"spray": 1}
    assert [offer["label"] for offer in cart(client, "en")["offers"]] == ["Shoe-care trio"]
    adapter.catalogue["brush"] = replace(adapter.catalogue["brush"], in_stock=False)
    assert cart(client, "en")["offers"] == []
    kept = len(snapshot_of(app).lookups)
    app.config["TSUIDE_MINED_MIN_ORDERS"] = 7
    cart(client, "en")
    assert len(snapshot_of(app).lookups) == kept + 1


def test_the_carts_look_ups_kept_are_bounded(database_url, make_shop):
    app, db, tsuide, adapter = make_shop(database_url)
    client = app.test_client()
    cart(client)
    snapshot = snapshot_of(app)
    snapshot.lookups.size = 5
    for pid in ("healthfood", "sneakers", "spray", "brush", "cleaner", "camera", "lens", "tripod", "socks", "cap"):
        adapter.lines = {pid: 1}
        cart(client)
        assert len(snapshot.lookups) <= 5
    assert snapshot_of(app) is snapshot


def test_a_long_carts_look_ups_are_not_kept_and_it_is_priced_the_same(database_url, make_shop):
    """Past LOOKUPS_UP_TO_PRODUCTS products a cart's look-ups are worked out each time (kept, they would be large):
    the same answer as a short cart's path gives, and nothing added to the memo."""
    from dataclasses import replace

    from plugin import extension

    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        db.session.add(models.VolumeRule(label="小物2点で10%オフ", label_en="10% off 2 accessories",
                                         categories=[models.RuleCategory(category="accessories")],
                                         steps=[models.RuleStep(threshold=2, percent_bp=1_000)]))
        db.session.commit()
    for number in range(extension.LOOKUPS_UP_TO_PRODUCTS + 1):
        adapter.catalogue[f"x{number}"] = replace(adapter.catalogue["socks"], id=f"x{number}", name=f"x{number}")
    client = app.test_client()
    adapter.lines = {f"x{number}": 1 for number in range(extension.LOOKUPS_UP_TO_PRODUCTS + 1)}
    long_cart = cart(client, "en")
    snapshot = snapshot_of(app)
    kept = len(snapshot.lookups)
    def priced(body):  # the tokens carry the second they were signed in
        return {key: value for key, value in body.items() if key not in ("panel_html", "beacon_token")}

    assert priced(cart(client, "en")) == priced(long_cart) and len(snapshot.lookups) == kept
    assert [discount["label"] for discount in long_cart["discounts"]] == ["10% off 2 accessories"]
    adapter.lines.popitem()  # at the limit: kept, and priced alike
    at_limit = cart(client, "en")
    assert len(snapshot.lookups) == kept + 2
    assert at_limit["discounts"][0]["label"] == "10% off 2 accessories"


def test_a_product_moved_into_a_capped_rules_category_reads_that_rules_count(database_url, make_shop):
    """The rules touching a cart through its categories are looked up by the categories the shop gives now: a product
    moved into the category of a tier whose "first 5" are gone reads that count (one query still) and gets no
    discount; kept by the products alone, the count would not be read and the used-up tier would apply."""
    from dataclasses import replace

    app, db, tsuide, adapter = make_shop(database_url)
    with app.app_context():
        tier = models.VolumeRule(label="先着5名 小物2点で10%オフ", label_en="First 5: 10% off 2 accessories",
                                 global_cap=5, redeemed=5, categories=[models.RuleCategory(category="accessories")],
                                 steps=[models.RuleStep(threshold=2, percent_bp=1_000)])
        db.session.add(tier)
        db.session.commit()
        tier_id = str(tier.id)
    client = app.test_client()
    adapter.lines = {"healthfood": 2}
    assert cart(client, "en")["discounts"] == []
    adapter.catalogue["healthfood"] = replace(adapter.catalogue["healthfood"], category="accessories")
    assert cart(client, "en")["discounts"] == []  # used up
    with app.test_request_context():
        context = tsuide._context(tsuide._adapter.current_cart())
    assert context.usage.redeemed == {tier_id: 5}
    with app.app_context():
        db.session.get(models.Rule, int(tier_id)).redeemed = 4
        db.session.commit()
    assert [discount["label"] for discount in cart(client, "en")["discounts"]] == ["First 5: 10% off 2 accessories"]
