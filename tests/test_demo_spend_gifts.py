"""The demo's spend discount (10万円以上で3,000円引き) and free gift (オリジナルエコバッグ from ¥20,000), as a shopper
meets them on the cart page with a test client: the bar's ladder, the gift offered once earned, added at ¥0, and
charged again when the order falls below the threshold."""
import pytest

from test_demo import TOKEN, add, amount, cart_page, shopper  # noqa: F401  (the shopper fixture)

pytestmark = pytest.mark.usefixtures("demo")


def bar(page) -> str:
    return page.select_one("[data-tsuide-shipping-text]").get_text(strip=True)


def test_the_bar_names_the_gift_ahead_and_a_far_reward_is_not_named(shopper):
    add(shopper, "healthfood")
    # ¥300 shipping from ¥4,500, free from ¥5,000; ¥17,000 to the gift: further than the cart itself.
    assert bar(cart_page(shopper)) == "あと￥1,500で送料￥300 · あと￥2,000で送料無料"
    add(shopper, "sneakers")
    page = cart_page(shopper)
    assert bar(page) == "送料無料になりました · あと￥5,000でノベルティプレゼント"
    assert len(page.select("span[hidden][data-tsuide-offer]")) == 1  # the gift's impression, like an offer's
    assert amount(page, "#summary-total") == 15_000


def test_an_earned_gift_is_offered_added_at_no_charge_and_charged_again_below_the_threshold(shopper):
    add(shopper, "sneakers")
    add(shopper, "serum", 2)  # ¥21,600
    page = cart_page(shopper)
    gift = page.select_one(".tsuide-offer[data-tsuide-offer] .tsuide-offer__hint")
    assert gift.get_text(strip=True) == "ノベルティがもらえます"
    button = [b for b in page.select(".tsuide-offer button") if b.get_text(strip=True) == "ノベルティを追加"]
    assert len(button) == 1
    form = button[0].find_parent("form")
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    response = shopper.post(form["action"], data=data)
    assert response.status_code in (302, 303)
    page = cart_page(shopper)
    assert amount(page, "#line-ecobag .cart-line__price strong") == 0
    assert amount(page, "#summary-total") == 21_600
    shopper.post("/cart/update", data={"product_id": "serum", "quantity": 1, "csrf_token": TOKEN})
    page = cart_page(shopper)  # ¥16,800 without the gift: the eco bag is charged its price
    assert amount(page, "#line-ecobag .cart-line__price strong") == 1_000
    assert amount(page, "#summary-total") == 16_800 + 1_000


def test_the_spend_step_applies_from_100000_and_is_named_before(shopper):
    add(shopper, "camera")
    add(shopper, "lens")  # ¥93,000
    page = cart_page(shopper)
    assert bar(page) == "送料無料になりました · あと￥7,000で￥3,000引き"
    add(shopper, "laptop")
    page = cart_page(shopper)
    assert amount(page, "#summary-subtotal") == 213_000
    assert amount(page, "#summary-total") == 213_000 - 10_650  # 5% from ¥200,000


def test_an_order_that_gets_the_spend_step_and_the_gift_counts_them_as_taken_offers(demo, shopper):
    import re

    from sqlalchemy import select

    from demo.extensions import db
    from plugin import models

    add(shopper, "laptop")
    add(shopper, "ecobag")
    page = cart_page(shopper)
    total = amount(page, "#summary-total")
    assert total == 120_000 - 3_000  # the eco bag free, ¥3,000 off from ¥100,000, free shipping
    response = shopper.post("/checkout", data={"name": "山田 花子", "card": "4242 4242 4242 4242",
                                               "expected_total": str(total), "csrf_token": TOKEN})
    assert response.status_code == 302
    order_id = re.search(r"/orders/(\d+)/thanks", response.headers["Location"]).group(1)
    with demo.app_context():
        labels = {str(rule.id): rule.label for rule in db.session.scalars(select(models.Rule))}
        taken = db.session.scalars(select(models.Event.rule_id).where(
            models.Event.kind == "add", models.Event.order_id == order_id)).all()
    assert sorted(labels[rule_id] for rule_id in taken) == ["10万円以上で3,000円引き、20万円以上で5%オフ",
                                                            "ノベルティ: オリジナルエコバッグ"]
