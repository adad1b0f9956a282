"""The admin under an attacker's probe: status tabs, odd values, the CSV, headers and the closed door."""
import re

import pytest
from bs4 import BeautifulSoup

from plugin import models
from plugin.admin.records import KINDS
from plugin.storage.post_purchase import PostPurchaseOffer

ADMIN = "/tsuide/admin"
API = f"{ADMIN}/api"
STATUSES = ("active", "scheduled", "expired", "paused", "deleted")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BUNDLE_FORM = {"label": "3袋セット", "items-0-product_id": "healthfood", "items-0-quantity": "3",
               "pricing_mode": "percent_off", "pricing_value": "10", "priority": "0", "action": "save"}
BUNDLE = {"label": "Set", "pricing_mode": "percent_off", "pricing_value": 1000,
          "items": [{"product_id": "healthfood", "quantity": 3}]}
SETTINGS_FORM = {"max_cart_offers": "2", "max_gap_fillers": "2", "post_purchase_minutes": "15", "decline_days": "30",
                 "upsell_max_ratio": "50", "loyal_orders": "5", "holdout_percent": "5", "significance": "5",
                 "event_retention_days": "400"}
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                    "X-Content-Type-Options": "nosniff"}


@pytest.fixture
def shop(database_url, make_shop):
    """An open admin in a shop on Tokyo time, where year 1 at midnight is before year 1 in UTC."""
    app, db, tsuide, adapter = make_shop(database_url, TSUIDE_TIMEZONE="Asia/Tokyo")
    adapter.admin = True
    return app, db, tsuide, adapter


@pytest.fixture
def client(shop):
    return shop[0].test_client()


def token(client):
    return TOKEN.search(client.get(f"{ADMIN}/bundles/new").get_data(as_text=True)).group(1)


def counts(shop):
    app, db, *_ = shop
    with app.app_context():
        found = tuple(db.session.query(model).count()
                      for model in (models.Rule, models.RuleItem, PostPurchaseOffer, models.Setting))
        db.session.remove()
    return found


# -- status tabs ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_every_status_tab_of_every_list_answers_200(shop, client, kind):
    for status in STATUSES:
        response = client.get(f"{ADMIN}/{kind}/", query_string={"status": status})
        assert (response.status_code, response.status) == (200, "200 OK"), status
        current = BeautifulSoup(response.data, "html.parser").select_one('.ta-filters [aria-current="page"]')
        assert f"status={status}" in current["href"]
    assert client.get(f"{ADMIN}/{kind}/", query_string={"status": "bogus"}).status_code == 200
