"""The confirmation e-mail's offer: words that say what a click will do, and a signed link with its own window."""
from __future__ import annotations

import re

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from test_thank_you import add_offer, now, shoe_care_offer, shop  # noqa: F401 (the fixture)

from plugin.storefront.email_links import link_token


@pytest.fixture
def mailing_shop(shop):  # noqa: F811
    app, db, tsuide, adapter = shop
    add_offer(shop, shoe_care_offer())
    app.add_url_rule("/orders/<order_id>/thanks", "thanks",
                     lambda order_id: render_template_string("<main>{{ tsuide.thank_you_panel(order_id) }}</main>",
                                                             order_id=order_id))
    app.config.update(TSUIDE_THANK_YOU_ENDPOINT="thanks", TSUIDE_TIMEZONE="Asia/Tokyo")
    # Two hours ago: the thank-you page's 15 minutes are over, the e-mail's 24 hours are not.
    adapter.place("M-1", [("sneakers", 1)], now() - timedelta(hours=2))
    return shop


def email(app, tsuide, order_id, language="ja") -> BeautifulSoup:
    with app.test_request_context(base_url="https://shop.example", headers={"Accept-Language": language}):
        return BeautifulSoup(str(tsuide.email_offer_html(order_id)), "html.parser")


def link_of(block: BeautifulSoup) -> str:
    parts = urlsplit(block.select_one("a")["href"])
    return f"{parts.path}?{parts.query}"


def panel_text(client, url, language="ja") -> str:
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ", strip=True)


def test_the_email_says_what_pressing_the_button_will_do(mailing_shop):
    app, db, tsuide, adapter = mailing_shop
    ja = email(app, tsuide, "M-1").get_text()
    assert "ボタンを押すと、このご注文に￥2,800が追加で請求されます" in ja
    assert "追加決済" not in ja  # nothing is charged before the shopper presses anything
    en = email(app, tsuide, "M-1", "en").get_text()
    assert "Pressing the button adds ¥2,800 to this order's charge" in en and "Charged now" not in en


def test_the_signed_link_opens_the_offer_for_the_email_window_and_it_can_be_accepted(mailing_shop):
    app, db, tsuide, adapter = mailing_shop
    link = link_of(email(app, tsuide, "M-1"))
    assert set(parse_qs(urlsplit(link).query)) == {"tsuide_offer"}
    client = app.test_client()
    assert "シューケアセット" not in panel_text(client, "/orders/M-1/thanks")  # without the link: 15 minutes
    text = panel_text(client, link)
    assert "シューケアセット" in text and "￥2,800" in text
    # The accept that follows, from the same browser, is inside the e-mail's window too.
    body = client.get("/tsuide/api/orders/M-1/offer", headers={"Accept-Language": "ja"}).json
    assert body["state"] == "offer"
    token = BeautifulSoup(body["panel_html"], "html.parser").select_one("[name=csrf_token]")["value"]
    accepted = client.post("/tsuide/api/orders/M-1/offer/accept", headers={"X-CSRFToken": token},
                           json={"offer_id": body["offer"]["id"], "idempotency_key": "mail-0001-abcd"})
    assert accepted.status_code == 200 and accepted.json["state"] == "accepted"
    assert adapter.orders["M-1"].total == 12_000 + 2_800


def test_a_tampered_link_opens_nothing_and_breaks_nothing(mailing_shop):
    app, db, tsuide, adapter = mailing_shop
    link = link_of(email(app, tsuide, "M-1"))
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    client = app.test_client()
    text = panel_text(client, tampered)
    assert "シューケアセット" not in text and "終了しました" not in text
    # Another order's genuine link does not open this one.
    adapter.place("M-2", [("sneakers", 1)], now() - timedelta(hours=2))
    other = link_of(email(app, tsuide, "M-2"))
    assert "シューケアセット" not in panel_text(client, other.replace("/M-2/", "/M-1/"))
    assert client.get("/tsuide/api/orders/M-1/offer").json["state"] != "offer"


def test_an_expired_link_says_kindly_that_the_offer_has_ended(mailing_shop):
    app, db, tsuide, adapter = mailing_shop
    adapter.place("OLD", [("sneakers", 1)], now() - timedelta(hours=25))
    assert email(app, tsuide, "OLD").get_text() == ""  # no e-mail block once its window has passed
    with app.test_request_context():
        link = f"/orders/OLD/thanks?tsuide_offer={link_token(adapter.orders['OLD'])}"
    client = app.test_client()
    assert "この特典の受付は終了しました" in panel_text(client, link)
    assert "This offer has ended" in panel_text(client, link, "en")
    app.config["TSUIDE_EMAIL_OFFER_HOURS"] = 1  # the window is a setting: M-1's two hours are now too long
    assert "この特典の受付は終了しました" in panel_text(client, link_of_setting(app, tsuide, adapter))


def link_of_setting(app, tsuide, adapter):
    with app.test_request_context():
        return f"/orders/M-1/thanks?tsuide_offer={link_token(adapter.orders['M-1'])}"


def countdown_of(client, url, language) -> str:
    response = client.get(url, headers={"Accept-Language": language})
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("[data-tsuide-countdown]")


def test_the_email_windows_countdown_reads_in_hours_and_minutes(mailing_shop):
    """22 hours left is "21時間59分", not "1319:59"; and the widget gets the same words to tick with."""
    app, db, tsuide, adapter = mailing_shop
    link = link_of(email(app, tsuide, "M-1"))
    client = app.test_client()
    clock = countdown_of(client, link, "ja")
    # M-1 was placed two hours before this module was imported: 22 hours left, less the suite's time so far.
    assert re.fullmatch(r"終了まで 2[01]時間\d{1,2}分", clock.get_text()), clock.get_text()
    assert 20 * 3_600 < int(clock["data-tsuide-seconds-left"]) <= 22 * 3_600
    assert clock["data-tsuide-hours"] == "{h}時間{m}分" and clock["data-tsuide-format"] == "終了まで {time}"
    clock = countdown_of(client, "/orders/M-1/thanks", "en")  # the window this browser opened, in English
    assert re.fullmatch(r"Offer ends in 2[01] h \d{1,2} min", clock.get_text()), clock.get_text()
    assert clock["data-tsuide-hours"] == "{h} h {m} min"
    # The thank-you page's own quarter of an hour still reads as minutes and seconds.
    adapter.place("Q-1", [("sneakers", 1)], datetime.now(timezone.utc) - timedelta(minutes=2))
    assert re.fullmatch(r"終了まで 1[23]:[0-5]\d", countdown_of(client, "/orders/Q-1/thanks", "ja").get_text())


@pytest.mark.parametrize(("seconds", "ja", "en"), [
    (0, "0:00", "0:00"), (59, "0:59", "0:59"), (61, "1:01", "1:01"), (3_599, "59:59", "59:59"),
    (3_600, "1時間0分", "1 h 0 min"), (3_661, "1時間1分", "1 h 1 min"), (86_399, "23時間59分", "23 h 59 min"),
    (90_000, "25時間0分", "25 h 0 min"),
])
def test_a_countdown_is_minutes_and_seconds_under_an_hour_then_hours_and_minutes(seconds, ja, en):
    from plugin.storefront.i18n import countdown, translator

    assert countdown(seconds, translator("ja")) == ja
    assert countdown(seconds, translator("en")) == en
