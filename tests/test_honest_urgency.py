"""No unenforced urgency on the shop side: every countdown, every "残り N" and every "今だけ" is one the server keeps.

The admin refuses untrue urgency copy on save, but copy reaches the shop by other routes (rows written through
the models, as here; an import; a schedule changed after the copy was written; an old row). So the storefront
checks again: every panel (cart, free-shipping bar, product page, thank-you, e-mail block) and every JSON answer
is rendered in every state, and the text a shopper could read is searched with the admin's own detector.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from hypothesis import given, settings, strategies as st

from plugin import models
from plugin.engine import post_purchase as engine
from plugin.engine.rules import BundleItem, FixedBundle, PricingMode, Reward, ShippingThreshold
from plugin.engine.values import CartLine, Discount, FreeShippingProgress, Offer, Quote
from plugin.storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger
from plugin.storefront.honest_copy import CartCopy, post_purchase_offer
from plugin.storefront.urgency import claims_urgency
from plugin.storefront.visitor import visitor_cookie
from shop import OrderingAdapter, as_visitor, held_out_visitor, visitor_for

NOW = datetime.now(timezone.utc)
SOON = (NOW + timedelta(days=3)).replace(tzinfo=None)  # within TSUIDE_URGENCY_MAX_DAYS (14)
FAR = (NOW + timedelta(days=30)).replace(tzinfo=None)  # an end, but "今だけ" for a month is not true


def ago(**delta) -> datetime:
    """That long before now (not before the module was imported: the suite takes minutes)."""
    return datetime.now(timezone.utc) - timedelta(**delta)
#: What makes the urgency true, per case: nothing, an end too far away, an end soon, a limit in total.
TERMS = {"none": {}, "far": {"ends_at": FAR}, "soon": {"ends_at": SOON}, "cap": {"global_cap": 100}}
ENFORCED = {"none": False, "far": False, "soon": True, "cap": True}


def untrue_shop(database_url, make_shop, case: str):
    """A shop whose every piece of merchant copy claims urgency, with the terms of ``case`` on every offer."""
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter, TSUIDE_THANK_YOU_ENDPOINT="thanks",
                                   TSUIDE_HOLDOUT_PERCENT=5)
    terms = TERMS[case]
    with app.app_context():
        trio = models.Bundle(label="今だけ！シューケア3点", label_en="Today only: shoe-care trio",
                             pricing_mode="fixed_price", pricing_value=2_900, **terms,
                             items=[models.RuleItem(product_id=pid, quantity=1, position=n)
                                    for n, pid in enumerate(("spray", "brush", "cleaner"))])
        trio.variants = [models.Variant(name="A"), models.Variant(
            name="B", label="ラストチャンス：3点セット", label_en="Last chance: the trio", button_label="お急ぎください",
            button_label_en="Hurry, add them", position=1)]
        db.session.add(trio)
        db.session.add(models.VolumeRule(label="期間限定まとめ買い", label_en="Limited-time multibuy", **terms,
                                         categories=[models.RuleCategory(category="accessories")],
                                         steps=[models.RuleStep(threshold=2, percent_bp=1_000)]))
        db.session.add(models.ShippingRule(label="本日限り送料無料", currency="JPY", threshold=5_000, fee=600, **terms,
                                           steps=[models.RuleStep(threshold=20_000, label="本日限りのプレゼント",
                                                                  label_en="A gift, today only")]))
        downsell = PostPurchaseOffer(
            kind="add_on", label="ラストチャンス：スプレーだけ", label_en="Last chance: just the spray",
            accept_label="急いで追加", decline_label="見送る", pricing_mode="percent_off", pricing_value=1_000,
            items=[PostPurchaseItem(product_id="spray", quantity=1)],
            triggers=[PostPurchaseTrigger(product_id="sneakers")], **terms)
        offer = PostPurchaseOffer(
            kind="add_on", label="残りわずか！シューケアセット", label_en="Hurry: the shoe-care set",
            accept_label="今だけ追加する", accept_label_en="Add it, today only", decline_label="見送る",
            pricing_mode="percent_off", pricing_value=2_000, downsell=downsell, **terms,
            items=[PostPurchaseItem(product_id=pid, quantity=1, position=n)
                   for n, pid in enumerate(("spray", "brush", "cleaner"))],
            triggers=[PostPurchaseTrigger(product_id="sneakers")])
        db.session.add(offer)
        db.session.commit()
        ids = {"trio": str(trio.id), "offer": str(offer.id), "downsell": str(offer.downsell.id)}

    app.add_url_rule("/products/<product_id>", "product",
                     lambda product_id: render_template_string("<main>{{ tsuide.product_panel(pid) }}</main>",
                                                               pid=product_id))
    app.add_url_rule("/orders/<order_id>/thanks", "thanks",
                     lambda order_id: render_template_string(
                         "<main>{{ tsuide.thank_you_panel(order_id) }}</main><aside>{{ tsuide.email_offer_html("
                         "order_id) }}</aside>", order_id=order_id))
    adapter.customer_id = "c-1"
    return app, db, tsuide, adapter, ids


def as_cookie(app, visitor: str) -> dict:
    """Headers that make a request context this visitor's (a random one may land in the holdout)."""
    with app.app_context():
        return {"Cookie": f"tsuide_visitor={visitor_cookie(visitor)}"}


def shown_text(html_or_json) -> str:
    """Everything a shopper could read: the visible text, attributes that are read out or shown, JSON strings."""
    if isinstance(html_or_json, dict):
        strings = []

        def walk(value):
            if isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            elif isinstance(value, str):
                strings.append(shown_text(value) if "<" in value else value)

        walk(html_or_json)
        return "\n".join(strings)
    soup = BeautifulSoup(html_or_json, "html.parser")
    attributes = [value for tag in soup.find_all(True) for name, value in tag.attrs.items()
                  if name in ("aria-label", "aria-valuetext", "title", "alt", "data-tsuide-format", "data-tsuide-hours",
                              "data-tsuide-ended")]
    return "\n".join([soup.get_text(" "), *attributes])


def countdowns(html: str) -> list[int]:
    return [int(element["data-tsuide-seconds-left"])
            for element in BeautifulSoup(html, "html.parser").select("[data-tsuide-countdown]")]


def left_counts(html: str) -> list[str]:
    return [element.get_text() for element in BeautifulSoup(html, "html.parser").select("[data-tsuide-left]")]


def every_state(app, tsuide, adapter, ids):
    """(state, HTML or JSON) for every panel in every state a shopper can meet, ja and en."""
    visitor = visitor_for(app, ids["trio"], "A", holdout_bp=500)
    client = as_visitor(app, app.test_client(), visitor)
    b_client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "B", holdout_bp=500))
    held_out = as_visitor(app, app.test_client(), held_out_visitor(app, 500))
    carts = {
        "nothing to offer": {"healthfood": 1},
        "complete the set, short of free shipping": {"spray": 1},
        "reach the tier": {"socks": 1},
        "set applied, free shipping, next reward": {"spray": 1, "brush": 1, "cleaner": 1, "sneakers": 1},
        "reward unlocked": {"sneakers": 2},
    }
    for language in ("ja", "en"):
        headers = {"Accept-Language": language}
        for name, lines in carts.items():
            adapter.lines = lines
            for who, each in (("A or control", client), ("variant B", b_client), ("holdout", held_out)):
                yield f"cart page, {name}, {who}, {language}", each.get("/cart", headers=headers).get_data(as_text=True)
                yield f"cart API, {name}, {who}, {language}", each.get("/tsuide/api/cart", headers=headers).json
            for product in ("spray", "socks", "brush", "nothing-such"):
                for who, each in (("A or control", client), ("variant B", b_client), ("holdout", held_out)):
                    yield (f"product page {product}, {name}, {who}, {language}",
                           each.get(f"/products/{product}", headers=headers).get_data(as_text=True))
                    answer = each.get(f"/tsuide/api/products/{product}/offers", headers=headers)
                    if answer.status_code == 200:
                        yield f"product API {product}, {name}, {who}, {language}", answer.json
        adapter.lines = {}

    # The thank-you page and the e-mail block: offer, downsell, all declined, taken, expired, holdout.
    for language in ("ja", "en"):
        headers = {"Accept-Language": language}
        adapter.customer_id = f"c-{language}"  # a decline is remembered per customer: one each
        for order_id, placed in ((f"T-{language}", ago(minutes=2)),
                                 (f"E-{language}", ago(hours=1))):
            adapter.place(order_id, [("sneakers", 1)], placed, customer_id=adapter.customer_id)
            yield f"thank-you {order_id}", client.get(f"/orders/{order_id}/thanks", headers=headers).get_data(
                as_text=True)
            yield f"thank-you API {order_id}", client.get(f"/tsuide/api/orders/{order_id}/offer",
                                                          headers=headers).json
        with app.test_request_context(headers={**headers, **as_cookie(app, visitor)}):
            yield f"e-mail block {language}", str(tsuide.email_offer_html(f"E-{language}"))
        yield "thank-you, held out", held_out.get(f"/orders/T-{language}/thanks", headers=headers).get_data(
            as_text=True)
        csrf = {"X-CSRFToken": BeautifulSoup(client.get(f"/tsuide/api/orders/T-{language}/offer").json["panel_html"],
                                             "html.parser").select_one("[name=csrf_token]")["value"], **headers}
        declined = client.post(f"/tsuide/api/orders/T-{language}/offer/decline", json={"offer_id": ids["offer"]},
                               headers=csrf)
        yield f"downsell {language}", declined.json
        yield f"downsell page {language}", client.get(f"/orders/T-{language}/thanks", headers=headers).get_data(
            as_text=True)
        if language == "ja":
            yield "all declined", client.post(f"/tsuide/api/orders/T-{language}/offer/decline",
                                              json={"offer_id": ids["downsell"]}, headers=csrf).json
        else:
            yield "downsell taken", client.post(f"/tsuide/api/orders/T-{language}/offer/accept", headers=csrf,
                                                json={"offer_id": ids["downsell"],
                                                      "idempotency_key": "honest-0001-abcd"}).json
        yield f"after {language}", client.get(f"/orders/T-{language}/thanks", headers=headers).get_data(as_text=True)


@pytest.mark.parametrize("case", ["none", "far"])
def test_untrue_urgency_never_reaches_a_shopper_in_any_panel_or_state(database_url, make_shop, case, caplog):
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, case)
    seen = set()
    with caplog.at_level(logging.WARNING, logger="tsuide"):
        for state, answer in every_state(app, tsuide, adapter, ids):
            text = shown_text(answer)
            assert not claims_urgency(text), (state, text)
            html = answer if isinstance(answer, str) else (answer.get("panel_html") or "")
            assert left_counts(html) == [], state  # no "残り N": no offer here has a limit the server counts
            if countdowns(html):  # only the thank-you page's window (13 minutes left), which the server enforces
                assert "T-" in state or state.startswith("downsell"), state
                assert all(0 < seconds <= 13 * 60 for seconds in countdowns(html)), state
            seen.add(state.split(",")[0])
    assert {"cart page", "cart API", "product page spray", "product API spray", "thank-you T-ja", "e-mail block ja",
            "downsell ja", "downsell en"} <= seen
    # The shop is told, once per worker and piece of copy, not once per page view.
    warnings = [record.getMessage() for record in caplog.records if "claims urgency" in record.getMessage()]
    assert warnings and len(warnings) == len(set(warnings))
    assert any("今だけ！シューケア3点" in warning for warning in warnings)


def test_copy_written_from_the_values_takes_the_place_of_untrue_urgency(database_url, make_shop):
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "none")
    adapter.lines = {"spray": 1}
    client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "A", holdout_bp=500))
    b_client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "B", holdout_bp=500))
    for each in (client, b_client):
        body = each.get("/tsuide/api/cart", headers={"Accept-Language": "ja"}).json
        assert [offer["label"] for offer in body["offers"]] == ["3点で¥2,900"]
        panel = BeautifulSoup(body["panel_html"], "html.parser")
        assert panel.select_one(".tsuide-offer__label").get_text() == "3点で¥2,900"
        assert panel.select_one(".tsuide-offer button").get_text() == "2点を追加する"  # not the variant's "お急ぎください"
    adapter.lines = {"socks": 1}
    body = client.get("/tsuide/api/cart", headers={"Accept-Language": "en"}).json
    assert [offer["label"] for offer in body["offers"]] == ["10% off 2 or more"]
    adapter.lines = {"sneakers": 1}
    body = client.get("/tsuide/api/cart", headers={"Accept-Language": "ja"}).json
    assert body["free_shipping"]["next_reward"]["label"] == "特典"
    adapter.lines = {}
    adapter.place("T-1", [("sneakers", 1)], ago(minutes=2))
    body = client.get("/tsuide/api/orders/T-1/offer", headers={"Accept-Language": "en"}).json
    assert body["offer"]["label"] == "Waterproof spray, Brush, Cleaner"
    buttons = [b.get_text() for b in BeautifulSoup(body["panel_html"], "html.parser").select("button")]
    assert buttons == ["Add to my order", "No thanks"]
    body = client.get("/tsuide/api/orders/T-1/offer", headers={"Accept-Language": "ja"}).json
    buttons = [b.get_text() for b in BeautifulSoup(body["panel_html"], "html.parser").select("button")]
    assert buttons == ["追加する", "見送る"]  # the plugin's own accept; the shop's honest decline text stays


def test_a_quote_for_another_moment_is_checked_at_that_moment_in_the_shoppers_request(database_url, make_shop):
    """The guard a request's own quotes share (made once with its exposure) is the request's moment's: a quote
    priced for another moment in the same request is checked at that moment, before or after the shopper's."""
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "far")
    adapter.lines = {"spray": 1}
    visitor = visitor_for(app, ids["trio"], "A", holdout_bp=500)
    end = FAR.replace(tzinfo=timezone.utc)
    with app.test_request_context("/cart", headers={**as_cookie(app, visitor), "Accept-Language": "ja"}):
        for _ in range(2):  # the request's own quote, then the cached guard's
            assert [offer.label for offer in tsuide.quote().offers] == ["3点で¥2,900"]  # ends in 30 days: held back
        three_days_before = tsuide.quote(now=end - timedelta(days=3))
        assert [offer.label for offer in three_days_before.offers] == ["今だけ！シューケア3点"]  # ends within 14 days
        assert [offer.label for offer in tsuide.quote().offers] == ["3点で¥2,900"]


@pytest.mark.parametrize("case", ["soon", "cap"])
def test_urgency_the_server_enforces_is_shown(database_url, make_shop, case):
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, case)
    client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "A", holdout_bp=500))
    adapter.lines = {"spray": 1}
    body = client.get("/tsuide/api/cart", headers={"Accept-Language": "ja"}).json
    assert [offer["label"] for offer in body["offers"]] == ["今だけ！シューケア3点"]
    adapter.lines = {"sneakers": 1}
    assert client.get("/tsuide/api/cart").json["free_shipping"]["next_reward"]["label"] == "本日限りのプレゼント"
    adapter.lines = {}
    adapter.place("T-1", [("sneakers", 1)], ago(minutes=2))
    body = client.get("/tsuide/api/orders/T-1/offer", headers={"Accept-Language": "ja"}).json
    panel = body["panel_html"]
    assert body["offer"]["label"] == "残りわずか！シューケアセット"
    assert "今だけ追加する" in shown_text(panel)
    assert left_counts(panel) == (["先着残り100名様"] if case == "cap" else [])
    assert body["offer"]["left"] == (100 if case == "cap" else None)
    [seconds] = countdowns(panel)
    assert 0 < seconds <= 13 * 60 and body["seconds_left"] == seconds


def test_a_thank_you_offer_that_ends_before_the_window_counts_down_to_its_own_end(database_url, make_shop):
    """The window is 15 minutes after the order, but the offer itself ends in 5: the countdown says 5."""
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "none")
    with app.app_context():
        offer = db.session.get(PostPurchaseOffer, int(ids["offer"]))
        ends = ago(minutes=-5)
        offer.ends_at = ends.replace(tzinfo=None)
        db.session.commit()
    adapter.place("T-1", [("sneakers", 1)], ago(minutes=2))
    visitor = visitor_for(app, ids["trio"], "A", holdout_bp=500)
    client = as_visitor(app, app.test_client(), visitor)
    body = client.get("/tsuide/api/orders/T-1/offer", headers={"Accept-Language": "ja"}).json
    [seconds] = countdowns(body["panel_html"])
    assert 4 * 60 < seconds <= 5 * 60 and body["seconds_left"] == seconds
    assert body["offer"]["label"] == "残りわずか！シューケアセット"  # it does end soon: the claim is true now
    with app.test_request_context(base_url="https://shop.example",
                                  headers={"Accept-Language": "en", **as_cookie(app, visitor)}):
        block = str(tsuide.email_offer_html("T-1"))
    until = ends.strftime("%-I:%M")  # TSUIDE_TIMEZONE is UTC in this shop
    assert "open until" in block and until in block


# -- the guard on its own: whatever the copy and the terms -------------------------------------------------

PHRASES = ["今だけ", "ｲﾏﾀﾞｹ", "期間限定", "本日限り", "残りわずか", "先着100名", "ＬＩＭＩＴＥＤ　ＴＩＭＥ", "Hurry!",
           "Only 3 left", "last chance", "Ends soon", "タイムセール"]
HONEST = ["3点セット", "Shoe-care trio", "お手入れに", "Save more", "3 for ¥2,900"]


@settings(max_examples=150, deadline=None)
@given(
    label=st.sampled_from(PHRASES + HONEST).flatmap(lambda word: st.sampled_from([word, f"{word}：3点", f"Set {word}"])),
    reward=st.sampled_from(PHRASES + HONEST),
    ends_in_days=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=500)),
    locale=st.sampled_from(["ja", "en"]),
)
def test_whatever_the_copy_and_terms_a_shown_label_claims_urgency_only_when_enforced(label, reward, ends_in_days, cap,
                                                                                     locale):
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    terms = {"ends_at": now + timedelta(days=ends_in_days) if ends_in_days else None, "global_cap": cap}
    enforced = bool(cap) or (ends_in_days is not None and ends_in_days <= 14)
    rule = FixedBundle(id="7", label=label, items=(BundleItem("spray"), BundleItem("brush")),
                       mode=PricingMode.FIXED_PRICE, value=2_000, **terms)
    shipping = ShippingThreshold(id="8", label="送料", currency="JPY", threshold=5_000, fee=600,
                                 rewards=(Reward(20_000, reward),), **terms)
    quote = Quote("JPY", (), 2_300, (Discount("7", label, 300, 1, ()),), 0,
                  FreeShippingProgress(5_000, 6_000, 0, 600, (), Reward(20_000, reward), 14_000),
                  offers=(Offer("complete_bundle", "7", label, (CartLine("brush", 1, 800),), 800, 300, 2_000),))
    reports = []
    guard = CartCopy({"7": rule, "8": shipping}, (shipping,), now, 14, locale, "JPY",
                     lambda key, message: reports.append(key))
    honest = guard.quote(quote)
    shown = [honest.discounts[0].label, honest.offers[0].label, honest.free_shipping.next_reward.label]
    assert all(not claims_urgency(text) for text in shown) or enforced
    if enforced or not claims_urgency(label):
        assert honest.offers[0].label == label  # true or harmless copy is the shop's own
    else:
        assert honest.offers[0].label == ("2点で¥2,000" if locale == "ja" else "2 for ¥2,000")
    assert (honest is quote) == (shown == [label, label, reward])
    assert bool(reports) == (not enforced and (claims_urgency(label) or claims_urgency(reward)))
    thank_you = engine.PostPurchaseOffer(id="3", kind=engine.OfferKind.ADD_ON, label=label,
                                         accept_label=(("ja", reward),), items=(BundleItem("spray"),),
                                         trigger_products=frozenset({"sneakers"}), **terms)
    pp = post_purchase_offer(thank_you, {"spray": "防水スプレー"}, now, 14, lambda key, message: None)
    assert enforced or not any(claims_urgency(text) for text in (pp.label, *(t for _, t in pp.accept_label)))


@pytest.mark.parametrize(("terms", "enforced"), [
    ({"ends_at": timedelta(days=14)}, True),  # the window's last day counts
    ({"ends_at": timedelta(days=14, seconds=1)}, False),
    ({"starts_at": timedelta(days=10), "ends_at": timedelta(days=20)}, True),  # ten days from its start
    ({"starts_at": timedelta(days=-30), "ends_at": timedelta(days=20)}, False),  # started: twenty from now
    ({"global_cap": 1}, True),
    ({}, False),
])
def test_what_makes_urgency_true_is_an_end_within_the_window_from_the_start_or_a_cap(terms, enforced):
    from plugin.storefront.urgency import is_enforced

    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    moments = {name: now + value if isinstance(value, timedelta) else value for name, value in terms.items()}
    assert is_enforced(now, 14, ends_at=moments.get("ends_at"), global_cap=moments.get("global_cap"),
                       starts_at=moments.get("starts_at")) is enforced


@pytest.mark.parametrize(("mode", "value", "ja", "en"), [
    ("fixed_price", 2_900, "3点で¥2,900", "3 for ¥2,900"),
    ("amount_off", 500, "3点で¥500引き", "¥500 off 3"),
    ("percent_off", 1_250, "3点で12.5%オフ", "12.5% off 3"),
])
def test_a_bundles_label_is_written_from_its_values_in_each_pricing_mode(mode, value, ja, en):
    from plugin.storefront.honest_copy import rule_label

    rule = FixedBundle(id="1", label="今だけ", items=(BundleItem("spray", 2), BundleItem("brush")),
                       mode=PricingMode(mode), value=value)
    assert (rule_label(rule, "ja", "JPY"), rule_label(rule, "en", "JPY")) == (ja, en)


def test_a_reward_shared_by_two_shipping_rules_is_shown_only_if_both_keep_the_claim():
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    reward = Reward(20_000, "本日限りのプレゼント")
    kept = ShippingThreshold(id="1", label="送料", currency="JPY", threshold=5_000, fee=600, rewards=(reward,),
                             global_cap=10)
    open_ended = ShippingThreshold(id="2", label="送料", currency="JPY", threshold=5_000, fee=500, rewards=(reward,))
    quote = Quote("JPY", (), 6_000, (), 0, FreeShippingProgress(5_000, 6_000, 0, 600, (), reward, 14_000))
    for shipping, shown in (((kept,), "本日限りのプレゼント"), ((kept, open_ended), "特典")):
        guard = CartCopy({rule.id: rule for rule in shipping}, shipping, now, 14, "ja", "JPY", lambda *_: None)
        assert guard.quote(quote).free_shipping.next_reward.label == shown


def test_a_label_of_a_rule_the_guard_does_not_know_is_not_shown():
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    guard = CartCopy({}, (), now, 14, "ja", "JPY", lambda *_: None)
    assert guard.label("404", "今だけ3点") == "" and guard.label("404", "3点セット") == "3点セット"


def test_the_generated_label_of_a_price_test_variant_shows_the_variants_price(database_url, make_shop):
    """Variant B sells the trio at ¥2,700 with "Last chance" copy: its shoppers read "3点で¥2,700", never ¥2,900."""
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "none")
    with app.app_context():
        db.session.query(models.Variant).filter_by(name="B").one().pricing_value = 2_700
        db.session.commit()
    adapter.lines = {"spray": 1}
    b_client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "B", holdout_bp=500))
    body = b_client.get("/tsuide/api/cart", headers={"Accept-Language": "ja"}).json
    assert [(offer["label"], offer["new_total"]["amount"]) for offer in body["offers"]] == [("3点で¥2,700", 3_300)]


@pytest.mark.parametrize(("case", "button"), [("cap", "残りわずか、追加する"), ("none", "追加する")])
def test_a_thank_you_variants_button_keeps_urgency_only_the_offer_enforces(database_url, make_shop, case, button):
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, case)
    with app.app_context():
        offer = db.session.get(PostPurchaseOffer, int(ids["offer"]))
        offer.variants = [models.Variant(name="A"), models.Variant(name="B", button_label="残りわずか、追加する",
                                                                  position=1)]
        db.session.commit()
    client = as_visitor(app, app.test_client(), visitor_for(app, f"pp:{ids['offer']}", "B", holdout_bp=500))
    adapter.place("T-1", [("sneakers", 1)], ago(minutes=2))
    body = client.get("/tsuide/api/orders/T-1/offer", headers={"Accept-Language": "ja"}).json
    accept = BeautifulSoup(body["panel_html"], "html.parser").select_one("[data-tsuide-accept-form] button")
    assert accept.get_text() == button


def test_an_accept_after_the_offers_own_end_is_refused_as_ended(database_url, make_shop):
    """Its countdown said it ends at its own end: after it, an accept is a 410 "expired", as at the window's end."""
    app, db, tsuide, adapter, ids = untrue_shop(database_url, make_shop, "none")
    adapter.place("T-1", [("sneakers", 1)], ago(minutes=2))
    client = as_visitor(app, app.test_client(), visitor_for(app, ids["trio"], "A", holdout_bp=500))
    body = client.get("/tsuide/api/orders/T-1/offer").json
    token = BeautifulSoup(body["panel_html"], "html.parser").select_one("[name=csrf_token]")["value"]
    with app.app_context():
        offer = db.session.get(PostPurchaseOffer, int(ids["offer"]))
        offer.ends_at = (datetime.now(timezone.utc) - timedelta(seconds=1)).replace(tzinfo=None)
        db.session.commit()
    response = client.post("/tsuide/api/orders/T-1/offer/accept",
                           headers={"X-CSRFToken": token, "Accept-Language": "en"},
                           json={"offer_id": ids["offer"], "idempotency_key": "ended-0001-abcd"})
    assert response.status_code == 410 and response.json["error"]["message"] == "This offer has expired."
    assert adapter.amend_calls == 0
