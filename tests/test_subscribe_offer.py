"""The thank-you page's 定期 switch: honest terms before the button, one click starting one subscription."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup

from plans import healthfood_plan
from plugin.storage.events import Event
from plugin.storage.post_purchase import PostPurchaseOffer, PostPurchaseResponse
from shop import OrderingAdapter, SubscribingAdapter, WorkerKilled



@pytest.fixture
def shop(database_url, make_shop):
    adapter = SubscribingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("healthfood", 2)], datetime.now(timezone.utc) - timedelta(minutes=2))
    return app, db, tsuide, adapter


def add(shop, offer):
    app, db, *_ = shop
    with app.app_context():
        db.session.add(offer)
        db.session.commit()
        return str(offer.id), str(offer.downsell.id) if offer.downsell else None


def offer_body(client, language="ja", order_id="A-1"):
    body = client.get(f"/tsuide/api/orders/{order_id}/offer", headers={"Accept-Language": language}).json
    panel = BeautifulSoup(body["panel_html"], "html.parser")
    return body, panel, panel.select_one("[data-tsuide-csrf]")["data-tsuide-csrf"]


def accept(client, token, offer_id, key="key-0001", order_id="A-1", language="ja"):
    return client.post(f"/tsuide/api/orders/{order_id}/offer/accept",
                       json={"offer_id": offer_id, "idempotency_key": key},
                       headers={"X-CSRFToken": token, "Accept-Language": language})


def test_every_term_the_law_asks_for_is_shown_before_the_button_in_japanese(shop):
    app, *_ = shop
    offer_id, _ = add(shop, healthfood_plan())
    body, panel, _ = offer_body(app.test_client())
    assert body["state"] == "offer" and body["offer"]["kind"] == "subscribe"
    plan = body["offer"]["plan"]
    assert plan["recurring_price"] == {"amount": 5_400, "display": "￥5,400"}  # 2 bags, 6,000 less 10%
    assert plan["commitment_total"]["amount"] == 6_000 + 2 * 5_400
    assert plan["quantity"] == 2 and plan["every"] == 1 and plan["unit"] == "month"
    assert body["offer"]["charge"]["amount"] == 0  # nothing more is charged now
    terms = {div.dt.get_text(): div.dd.get_text() for div in panel.select("[data-tsuide-terms] div")}
    assert terms["1回のお届け数量"] == "健康食品 × 2"
    assert terms["1回あたりの価格"] == "2回目以降 1回￥5,400（通常価格￥6,000、￥600お得）"
    assert terms["今回のご注文（初回）"] == "￥6,000（お支払い済み。今回の追加請求はありません）"
    assert terms["お受け取り回数の条件"] == "最低3回のお受け取りが条件です。3回分の総額￥16,800（今回のご注文を含む）"
    assert terms["お届け時期"].startswith("今回のご注文が初回です。次回は")
    assert terms["お届け時期"].endswith("ごろ、以降毎月にお届けします")
    assert terms["契約期間"].startswith("本日から解約のお申し出まで自動で継続します。解約は3回目")
    assert terms["お支払い時期"] == "各回のお届けの発送時に、今回と同じお支払い方法で決済します"
    assert terms["解約方法"] == "次回お届け日の7日前までに、マイページの「定期便の管理」から解約できます"
    # Every term comes before the button that confirms it.
    html = body["panel_html"]
    assert html.index("解約方法") < html.index("定期便に切り替える")
    assert [b.get_text() for b in panel.select("button")] == ["定期便に切り替える", "今回は見送る"]
    # The countdown is the add-on's: the words the widget ticks with in hours, minutes and seconds below an hour.
    clock = panel.select_one("[data-tsuide-countdown]")
    assert clock["data-tsuide-hours"] == "{h}時間{m}分" and clock["data-tsuide-format"] == "終了まで {time}"
    assert re.fullmatch(r"終了まで 1[0-5]:[0-5]\d", clock.get_text()), clock.get_text()


def test_the_terms_in_english(shop):
    app, *_ = shop
    add(shop, healthfood_plan())
    body, panel, _ = offer_body(app.test_client(), "en")
    terms = {div.dt.get_text(): div.dd.get_text() for div in panel.select("[data-tsuide-terms] div")}
    assert terms["Price per delivery"] == "¥5,400 each delivery from the second (regular price ¥6,000, you save ¥600)"
    assert terms["Minimum commitment"] == "3 deliveries at least, ¥16,800 in all (this order included)"
    assert terms["How to cancel"].startswith("Cancel from My Page")
    assert terms["Payment"].startswith("Each delivery is charged")
    assert panel.select("button")[0].get_text() == "Switch to a subscription"


def test_one_click_starts_one_subscription_on_exactly_the_terms_shown(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add(shop, healthfood_plan())
    client = app.test_client()
    body, _, token = offer_body(client)
    for _ in range(3):  # a double click and a retry
        response = accept(client, token, offer_id)
        assert response.status_code == 200
        assert response.json["state"] == "accepted"
    assert adapter.start_calls == 1 and len(adapter.subscriptions) == 1
    order_id, product_id, plan, key = adapter.subscriptions[0]
    assert (order_id, product_id, key) == ("A-1", "healthfood", "key-0001")
    assert plan.recurring_price == body["offer"]["plan"]["recurring_price"]["amount"]
    assert plan.commitment_total == body["offer"]["plan"]["commitment_total"]["amount"]
    assert plan.next_delivery_on.isoformat() == body["offer"]["plan"]["next_delivery_on"]
    assert adapter.charges == []  # nothing charged now, nothing refunded
    assert "定期便に切り替えました（毎月のお届け）" in response.json["message"]
    assert response.json["plan"]["recurring_price"]["amount"] == 5_400
    with app.app_context():
        assert [(r.status, r.idempotency_key) for r in db.session.query(PostPurchaseResponse)] == [
            ("accepted", "key-0001")]
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 1
        events = {(e.kind, e.amount) for e in db.session.query(Event).filter(Event.kind.in_(("accept", "subscribe")))}
        assert events == {("accept", 0), ("subscribe", 16_800)}
    # The page after: what happened, never the offer again.
    body, panel, _ = offer_body(client)
    assert body["state"] == "accepted" and "定期便に切り替えました" in panel.get_text()
    assert not panel.select("button")


def test_a_first_delivery_discount_is_refunded_once(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add(shop, healthfood_plan(first_pricing_mode="percent_off", first_pricing_value=2_000))
    client = app.test_client()
    body, panel, token = offer_body(client)
    assert body["offer"]["charge"]["amount"] == -1_200
    assert "￥1,200を同じお支払い方法に返金します" in panel.get_text()
    accept(client, token, offer_id)
    accept(client, token, offer_id, key="another-key")  # the order took its offer already
    assert adapter.charges == [("A-1", -1_200, "key-0001")]
    assert adapter.orders["A-1"].total == 4_800


def test_a_failed_start_records_nothing_and_may_be_retried(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add(shop, healthfood_plan())
    client = app.test_client()
    _, _, token = offer_body(client)
    adapter.charge_fails = True
    response = accept(client, token, offer_id, language="en")
    assert response.status_code == 402
    with app.app_context():
        assert db.session.query(PostPurchaseResponse).count() == 0
        assert db.session.get(PostPurchaseOffer, int(offer_id)).accepted == 0
    adapter.charge_fails = False
    assert accept(client, token, offer_id, key="key-0002").json["state"] == "accepted"
    assert len(adapter.subscriptions) == 1


def test_declining_shows_the_longer_cycle_once_then_nothing(shop):
    app, db, tsuide, adapter = shop
    offer_id, downsell_id = add(shop, healthfood_plan())
    client = app.test_client()
    _, _, token = offer_body(client)
    response = client.post("/tsuide/api/orders/A-1/offer/decline", json={"offer_id": offer_id},
                           headers={"X-CSRFToken": token})
    assert response.json["offer"]["id"] == downsell_id and response.json["offer"]["downsell"] is True
    plan = response.json["offer"]["plan"]
    assert (plan["every"], plan["recurring_price"]["amount"], plan["min_deliveries"]) == (3, 5_700, None)
    panel = BeautifulSoup(response.json["panel_html"], "html.parser")
    assert panel.select_one(".tsuide-thank-you__title").get_text() == "3ヶ月ごとのお届けなら"
    assert "回数の条件はありません。いつでも解約できます" in panel.get_text()
    client.post("/tsuide/api/orders/A-1/offer/decline", json={"offer_id": downsell_id},
                headers={"X-CSRFToken": token})
    assert client.get("/tsuide/api/orders/A-1/offer").json["state"] == "none"
    # Declined: the same shopper's next order is not asked again.
    adapter.place("A-2", [("healthfood", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    assert client.get("/tsuide/api/orders/A-2/offer").json["state"] == "none"
    assert adapter.start_calls == 0


def test_the_downsell_starts_its_own_plan(shop):
    app, db, tsuide, adapter = shop
    offer_id, downsell_id = add(shop, healthfood_plan())
    client = app.test_client()
    _, _, token = offer_body(client)
    client.post("/tsuide/api/orders/A-1/offer/decline", json={"offer_id": offer_id}, headers={"X-CSRFToken": token})
    assert accept(client, token, downsell_id).status_code == 200
    (_, _, plan, _), = adapter.subscriptions
    assert (plan.every, plan.recurring_price, plan.offer_id) == (3, 5_700, downsell_id)


def test_an_expired_offer_starts_nothing(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add(shop, healthfood_plan())
    adapter.place("OLD", [("healthfood", 1)], datetime.now(timezone.utc) - timedelta(minutes=30))
    client = app.test_client()
    _, _, token = offer_body(client)
    response = accept(client, token, offer_id, order_id="OLD")
    assert response.status_code == 410
    assert adapter.start_calls == 0


def test_a_first_n_cap_is_respected(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add(shop, healthfood_plan(downsell=False, global_cap=1))
    adapter.place("A-2", [("healthfood", 1)], datetime.now(timezone.utc) - timedelta(minutes=1))
    client = app.test_client()
    _, _, token = offer_body(client)
    assert accept(client, token, offer_id).status_code == 200
    assert client.get("/tsuide/api/orders/A-2/offer").json["state"] == "none"
    response = accept(client, token, offer_id, key="key-0002", order_id="A-2", language="en")
    assert response.status_code == 410
    assert len(adapter.subscriptions) == 1


def test_an_interrupted_start_is_retried_once_under_the_same_key(shop):
    app, db, tsuide, adapter = shop
    offer_id, _ = add(shop, healthfood_plan())
    client = app.test_client()
    _, _, token = offer_body(client)
    adapter.dies = "after"  # started, then the worker was killed before it could record so
    with pytest.raises(WorkerKilled):
        accept(client, token, offer_id)
    assert client.get("/tsuide/api/orders/A-1/offer").json["state"] == "processing"
    with app.app_context():
        db.session.query(PostPurchaseResponse).update(
            {"claimed_at": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=5)})
        db.session.commit()
    assert client.get("/tsuide/api/orders/A-1/offer").json["state"] == "accepted"
    assert adapter.start_calls == 2 and len(adapter.subscriptions) == 1
    assert adapter.calls[0][2] == adapter.calls[1][2]  # the very plan that was shown, under the same key
    assert adapter.calls[0][3] == adapter.calls[1][3] == "key-0001"


def test_without_start_subscription_the_offer_is_off_and_named(database_url, make_shop):
    adapter = OrderingAdapter()
    app, db, tsuide, _ = make_shop(database_url, adapter=adapter)
    adapter.customer_id = "c-1"
    adapter.place("A-1", [("healthfood", 1)], datetime.now(timezone.utc) - timedelta(minutes=2))
    add((app, db), healthfood_plan())
    assert app.test_client().get("/tsuide/api/orders/A-1/offer").json["state"] == "none"
    with app.app_context():
        assert "start_subscription" in tsuide.missing_features()
        assert "add_to_next_delivery" in tsuide.missing_features()


def test_the_whole_order_can_switch(shop):
    app, db, tsuide, adapter = shop
    adapter.place("A-3", [("healthfood", 1), ("socks", 2)], datetime.now(timezone.utc) - timedelta(minutes=1))
    from plans import trigger
    offer_id, _ = add(shop, healthfood_plan(downsell=False, replaces_product_id=None, triggers=[trigger("socks")]))
    client = app.test_client()
    body, panel, token = offer_body(client, order_id="A-3")
    assert [line["product_id"] for line in body["offer"]["plan"]["deliver"]] == ["healthfood", "socks"]
    assert body["offer"]["plan"]["recurring_price"]["amount"] == 4_500  # 5,000 less 10%
    accept(client, token, offer_id, order_id="A-3")
    assert adapter.subscriptions[0][1] is None


def test_the_confirmation_email_names_the_plan_and_charges_nothing(shop):
    app, db, tsuide, adapter = shop
    add(shop, healthfood_plan())
    app.config["TSUIDE_THANK_YOU_ENDPOINT"] = "thanks"
    app.add_url_rule("/thanks/<order_id>", "thanks", lambda order_id: "")
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        html = str(tsuide.email_offer_html("A-1"))
    text = BeautifulSoup(html, "html.parser").get_text()
    assert "毎月のお届け: 2回目以降 1回￥5,400" in text
    assert "最低3回のお受け取りが条件です。3回分の総額￥16,800" in text
    assert "お申し込みを確定するまで請求はありません" in text
    assert "追加で請求" not in text
