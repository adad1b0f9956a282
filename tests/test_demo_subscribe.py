"""The demo's 定期: the thank-you switch without JavaScript, the next delivery page and its add-ons, the e-mails."""
from bs4 import BeautifulSoup
from sqlalchemy import select

from demo.extensions import db
from demo.models import Payment, Subscription
from test_demo_thank_you import new_shopper, place_order, post_form, thanks_page


def test_one_bag_switches_to_a_monthly_subscription_once(demo):
    shopper = new_shopper(demo)
    order_id = place_order(shopper, {"healthfood": 1})
    page = thanks_page(shopper, order_id)
    terms = {div.dt.get_text(): div.dd.get_text() for div in page.select("[data-tsuide-terms] div")}
    assert terms["1回あたりの価格"] == "2回目以降 1回￥2,700（通常価格￥3,000、￥300お得）"
    assert terms["お受け取り回数の条件"].startswith("最低3回のお受け取りが条件です。3回分の総額￥8,400")
    assert "0120-000-000" in terms["解約方法"]
    assert post_form(shopper, page, "accept").status_code == 303
    assert post_form(shopper, page, "accept").status_code == 303  # the same form again: nothing more
    with demo.app_context():
        [row] = db.session.scalars(select(Subscription)).all()
        assert (row.every, row.unit, row.recurring_price, row.min_deliveries) == (1, "month", 2_700, 3)
        assert db.session.scalars(select(Payment)).all() == []  # nothing charged now
    assert "定期便に切り替えました" in thanks_page(shopper, order_id).get_text()


def test_declining_offers_the_three_monthly_plan(demo):
    shopper = new_shopper(demo)
    order_id = place_order(shopper, {"healthfood": 1})
    post_form(shopper, thanks_page(shopper, order_id), "decline")
    page = thanks_page(shopper, order_id)
    assert page.select_one(".tsuide-thank-you__title").get_text() == "3ヶ月ごとのお届けなら"


def subscribed(demo):
    shopper = new_shopper(demo)
    order_id = place_order(shopper, {"healthfood": 1})
    post_form(shopper, thanks_page(shopper, order_id), "accept")
    with demo.app_context():
        return shopper, db.session.scalars(select(Subscription)).one().id


def test_the_next_delivery_page_offers_add_ons_that_add_once(demo):
    shopper, subscription_id = subscribed(demo)
    listing = shopper.get("/orders").get_data(as_text=True)
    assert f"/subscriptions/{subscription_id}" in listing
    page = BeautifulSoup(shopper.get(f"/subscriptions/{subscription_id}").data, "html.parser")
    panel = page.select_one('[data-tsuide="renewal"]')
    assert panel is not None and panel.select("button"), page.get_text()
    form = panel.select_one("form")
    fields = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    for _ in range(2):
        assert shopper.post(form["action"], data=fields).status_code == 303
    with demo.app_context():
        row = db.session.get(Subscription, subscription_id)
        assert len({extra[3] for extra in row.additions}) == 1
    after = BeautifulSoup(shopper.get(f"/subscriptions/{subscription_id}").data, "html.parser")
    assert after.select_one("#added-extras") is not None


def test_the_delivery_notice_email_can_be_previewed(demo):
    shopper, subscription_id = subscribed(demo)
    page = shopper.get(f"/subscriptions/{subscription_id}/email")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "次回のお届けのお知らせ" in html and "/tsuide/renewals/" in html
