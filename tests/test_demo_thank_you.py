"""The demo's thank-you page offers, driven as a shopper would with a test client, on SQLite and PostgreSQL."""
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import delete, func, select

from demo.extensions import db
from demo.models import Order, Payment
from demo.seed import seed_all
from plugin import models
from plugin.storage.post_purchase import PostPurchaseItem, PostPurchaseOffer, PostPurchaseTrigger

TOKEN = "test-token"
CARD = "4242 4242 4242 4242"
DECLINING_CARD = "4242 4242 4242 0002"
PAYMENT_FAILED = "決済が完了しなかったため、請求は行われていません。もう一度お試しください。"


def new_shopper(demo):
    client = demo.test_client()
    client.get("/")
    with client.session_transaction() as session:
        session["csrf_token"] = TOKEN
    return client


@pytest.fixture
def shopper(demo):
    return new_shopper(demo)


def place_order(client, items, card=CARD):
    """Buy ``items`` ({product id: quantity}) through the checkout; the new order's id."""
    for product_id, quantity in items.items():
        response = client.post("/cart/add", data={"product_id": product_id, "quantity": quantity, "csrf_token": TOKEN})
        assert response.status_code == 302
    response = client.post("/checkout", data={"name": "山田 花子", "card": card, "csrf_token": TOKEN})
    assert response.status_code == 302, response.data
    return int(re.fullmatch(r"/orders/(\d+)/thanks", response.headers["Location"]).group(1))


def thanks_page(client, order_id):
    response = client.get(f"/orders/{order_id}/thanks")
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def panel_text(page):
    panel = page.select_one('[data-tsuide="thank-you"]')
    return panel.get_text(" ", strip=True) if panel else None


def post_form(client, page, kind):
    """Submit the panel's no-JavaScript accept or decline form as a browser would: its action, its fields."""
    form = page.select_one(f'[data-tsuide="thank-you"] form[data-tsuide-{kind}-form]')
    fields = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    return client.post(form["action"], data=fields)


def stored(demo, order_id):
    """The order as the shop stored it: total, its lines, and the extra charges to its card."""
    with demo.app_context():
        order = db.session.get(Order, order_id)
        lines = sorted((line.product_id, line.quantity, line.total) for line in order.lines)
        payments = db.session.scalars(select(Payment.amount).where(Payment.order_id == order_id)).all()
        assert sum(line.total for line in order.lines) + order.shipping_fee == order.total
        assert order.subtotal - order.discount_total + order.shipping_fee == order.total
        assert sum(discount["amount"] for discount in order.discounts) == order.discount_total
        return order.total, lines, payments


def test_a_sneakers_order_is_offered_the_shoe_care_set(shopper):
    order_id = place_order(shopper, {"sneakers": 1})
    page = thanks_page(shopper, order_id)
    assert page.select_one("#summary-total").get_text(strip=True) == "￥12,000"
    text = panel_text(page)
    assert "シューケアセット" in text
    assert "新しいご注文合計 ￥14,800" in text
    assert "今回のお支払い方法で追加決済：￥2,800" in text
    assert [button.get_text() for button in page.select('[data-tsuide="thank-you"] button')] == ["追加する", "今回は見送る"]


def test_accepting_through_the_form_amends_the_order_and_charges_once(demo, shopper):
    order_id = place_order(shopper, {"sneakers": 1})
    page = thanks_page(shopper, order_id)
    response = post_form(shopper, page, "accept")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order_id}/thanks"
    total, lines, payments = stored(demo, order_id)
    assert total == 14_800
    assert lines == [("brush", 1, 640), ("cleaner", 1, 960), ("sneakers", 1, 12_000), ("spray", 1, 1_200)]
    assert payments == [2_800]

    after = thanks_page(shopper, order_id)
    assert "ご注文に追加しました。新しいご注文合計は￥14,800です。" in after.select_one(".flashes").get_text()
    assert after.select_one("#summary-total").get_text(strip=True) == "￥14,800"
    assert after.select_one("#order-summary .discount-amount").get_text(strip=True) == "-￥700"
    assert "新しいご注文合計は￥14,800です" in panel_text(after)
    assert not after.select('[data-tsuide="thank-you"] form')

    # The same form again (a double submit, the back button): nothing more is charged or added.
    assert post_form(shopper, page, "accept").status_code == 303
    assert stored(demo, order_id) == (14_800, lines, [2_800])


def test_declining_shows_the_downsell_which_can_be_accepted(demo, shopper):
    order_id = place_order(shopper, {"sneakers": 1})
    assert post_form(shopper, thanks_page(shopper, order_id), "decline").status_code == 303
    page = thanks_page(shopper, order_id)
    text = panel_text(page)
    assert "防水スプレーだけでも" in text and "シューケアセット" not in text
    assert "新しいご注文合計 ￥13,350" in text
    assert stored(demo, order_id) == (12_000, [("sneakers", 1, 12_000)], [])
    assert post_form(shopper, page, "accept").status_code == 303
    assert stored(demo, order_id) == (12_000 + 1_350, [("sneakers", 1, 12_000), ("spray", 1, 1_350)], [1_350])


def test_a_declined_card_says_so_and_changes_nothing(demo, shopper):
    order_id = place_order(shopper, {"sneakers": 1}, card=DECLINING_CARD)
    response = post_form(shopper, thanks_page(shopper, order_id), "accept")
    assert response.status_code == 303
    page = thanks_page(shopper, order_id)
    assert page.select_one(".flash--error").get_text(strip=True) == PAYMENT_FAILED
    assert stored(demo, order_id) == (12_000, [("sneakers", 1, 12_000)], [])
    assert page.select_one("#summary-total").get_text(strip=True) == "￥12,000"
    assert "新しいご注文合計 ￥14,800" in panel_text(page)  # still on offer: nothing was recorded
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_two_bags_may_upgrade_to_the_set_but_one_bag_is_offered_the_subscription(demo, shopper):
    one_bag = place_order(shopper, {"healthfood": 1})
    text = panel_text(thanks_page(shopper, one_bag))  # ¥5,100 more on a ¥3,600 order is too much: 定期 instead
    assert "3袋セット" not in text and "毎月お届けの定期便なら10%オフ" in text
    two_bags = place_order(shopper, {"healthfood": 2})
    page = thanks_page(shopper, two_bags)
    text = panel_text(page)
    assert "3袋セットにアップグレード" in text and "新しいご注文合計 ￥8,100" in text
    assert post_form(shopper, page, "accept").status_code == 303
    assert stored(demo, two_bags) == (8_100, [("healthfood", 3, 8_100)], [2_100])


def test_another_shoppers_order_shows_nothing(demo, shopper):
    theirs = place_order(new_shopper(demo), {"sneakers": 1})
    mine = place_order(shopper, {"sneakers": 1})
    assert shopper.get(f"/orders/{theirs}/thanks").status_code == 404
    assert shopper.get(f"/orders/{theirs}/email").status_code == 404
    response = shopper.get(f"/tsuide/api/orders/{theirs}/offer")
    assert response.status_code == 404 and "offer" not in response.json
    # Their order cannot be amended with my session's token and my offer either.
    page = thanks_page(shopper, mine)
    form = page.select_one('[data-tsuide="thank-you"] form[data-tsuide-accept-form]')
    fields = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    response = shopper.post(f"/tsuide/api/orders/{theirs}/offer/accept", json=fields,
                            headers={"X-CSRFToken": fields["csrf_token"]})
    assert response.status_code == 404
    assert stored(demo, theirs) == (12_000, [("sneakers", 1, 12_000)], [])


def test_the_email_preview_carries_the_offer_with_an_absolute_link(demo, shopper):
    order_id = place_order(shopper, {"sneakers": 1})
    page = thanks_page(shopper, order_id)
    assert page.find("a", string=re.compile("確認メールを見る"))["href"] == f"/orders/{order_id}/email"
    response = shopper.get(f"/orders/{order_id}/email")
    assert response.status_code == 200
    email = BeautifulSoup(response.data, "html.parser").select_one(".email-preview")
    text = email.get_text(" ", strip=True)
    assert f"ご注文番号 #{order_id}" in text and "レザースニーカー × 1" in text and "￥12,000" in text
    assert "シューケアセット" in text and "￥2,800" in text
    offer_link = email.find("a", string=re.compile("特典を見る|See the offer"))
    assert offer_link["href"].startswith(f"http://localhost/orders/{order_id}/thanks?tsuide_offer=")  # signed
    assert shopper.get(offer_link["href"]).status_code == 200
    # Once the offer is taken, the e-mail has nothing to offer and shows the new total.
    post_form(shopper, page, "accept")
    email = BeautifulSoup(shopper.get(f"/orders/{order_id}/email").data, "html.parser").select_one(".email-preview")
    assert "シューケアセット" not in email.get_text() and "￥14,800" in email.get_text()
    assert email.find("a", href=re.compile(f"/orders/{order_id}/thanks")) is None


def test_the_camera_offer_shows_how_many_are_left(shopper):
    order_id = place_order(shopper, {"camera": 1})
    text = panel_text(thanks_page(shopper, order_id))
    assert "SDカード" in text and "先着残り100名様" in text


def test_seeding_an_older_database_adds_the_offers_once(demo):
    with demo.app_context():
        rules_before = db.session.query(models.Rule).count()
        orders_before = db.session.query(Order).count()
        labels = sorted(db.session.scalars(select(PostPurchaseOffer.label)))
        assert len(labels) == 7  # five offers, the shoe-care set's downsell and the 定期 plan's
        # A database seeded before thank-you offers existed: the plugin's tables are there, the offers are not.
        db.session.execute(delete(PostPurchaseItem))
        db.session.execute(delete(PostPurchaseTrigger))
        db.session.execute(delete(PostPurchaseOffer).where(PostPurchaseOffer.parent_id.is_not(None)))
        db.session.execute(delete(PostPurchaseOffer))
        db.session.commit()
        assert seed_all()["thank-you offers"] == 5
        assert seed_all()["thank-you offers"] == 0
        assert sorted(db.session.scalars(select(PostPurchaseOffer.label))) == labels
        assert db.session.query(models.Rule).count() == rules_before
        assert db.session.query(Order).count() == orders_before


def test_the_demo_cli_seeds_the_offers_and_the_history_once(demo):
    # The test fixture seeds without the A/B tests' history: the command adds just that, then nothing.
    result = demo.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"Seeded 4 A/B variants, [0-9]{4} analytics events\.\n", result.output)
    again = demo.test_cli_runner().invoke(args=["demo", "seed"])
    assert "already seeded" in again.output
    # The history is plausible: every offer was seen more often than it was taken, the 定期 switch included.
    client = demo.test_client()
    client.get("/")
    with client.session_transaction() as session:
        session["csrf_token"] = "t"
    assert client.post("/account/admin", data={"admin": "1", "csrf_token": "t"}).status_code == 302
    report = client.get("/tsuide/admin/api/analytics")
    assert report.status_code == 200
    rows = {offer["offer_id"]: offer["variants"] for offer in report.json["offers"]}
    with demo.app_context():
        switch = db.session.scalar(select(PostPurchaseOffer.id).where(PostPurchaseOffer.kind == "subscribe",
                                                                     PostPurchaseOffer.parent_id.is_(None)))
    [switch_row] = rows[f"pp:{switch}"]
    assert switch_row["seen"] > 10 * switch_row["takes"] > 0 and switch_row["subscriptions"] == switch_row["takes"]
    assert all(0 < row["take_rate"] < 0.5 for variants in rows.values() for row in variants)
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(PostPurchaseOffer)) == 7
        assert db.session.scalar(select(func.count()).select_from(models.Variant)) == 4
