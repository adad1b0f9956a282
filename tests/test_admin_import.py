"""An import refuses products and categories the shop does not have: per record and field, all or nothing."""
import io
import json

import pytest
from bs4 import BeautifulSoup

from plugin import models
from plugin.storage.audit import AuditEntry
from plugin.storage.post_purchase import PostPurchaseOffer
from shop import MemoryAdapter
from shop import csrf_client

API = "/tsuide/admin/api"
ADMIN = "/tsuide/admin"
PAIR = {"label": "お手入れセット", "items": [{"product_id": "spray"}, {"product_id": "brush"}],
        "pricing_mode": "percent_off", "discount_percent": 10}
TIERS = {"label": "小物", "categories": ["accessories"], "tiers": [{"min_quantity": 2, "discount_percent": 10}]}
OFFER = {"label": "Care", "kind": "add_on", "items": [{"product_id": "spray"}], "trigger_products": ["sneakers"],
         "downsell": {"label": "Brush", "kind": "add_on", "items": [{"product_id": "brush"}],
                      "trigger_categories": ["shoes"]}}


class CategoryAdapter(MemoryAdapter):
    """A shop that lists its categories."""

    admin = True

    def categories(self):
        return [("accessories", "小物"), ("shoe-care", "シューケア"), ("shoes", "靴"), ("food", "健康食品")]


def client_for(app):
    client = csrf_client(app)
    return client


@pytest.fixture
def shop(database_url, make_shop):
    return make_shop(database_url, adapter=CategoryAdapter())


@pytest.fixture
def admin(shop):
    client = client_for(shop[0])
    for kind, body in (("bundles", PAIR), ("volume-discounts", TIERS), ("post-purchase-offers", OFFER)):
        assert client.post(f"{API}/{kind}", json=body).status_code == 201
    return client


def snapshot(shop):
    """What an import could change: every rule and offer with its deletion time, and the audit log's length."""
    app, db, *_ = shop
    with app.app_context():
        rules = sorted((row.id, row.label, row.deleted_at) for row in db.session.query(models.Rule))
        offers = sorted((row.id, row.label, row.deleted_at) for row in db.session.query(PostPurchaseOffer))
        return rules, offers, db.session.query(AuditEntry).count()


def document(**kinds):
    return {"format": "tsuide-settings", "version": 2, **kinds}


def test_unknown_products_and_categories_are_refused_per_record_and_field_and_nothing_changes(shop, admin):
    before = snapshot(shop)
    calls = shop[3].product_calls
    wrong = document(
        bundles=[PAIR, dict(PAIR, label="幻", items=[{"product_id": "spray"}, {"product_id": "unicorn"}])],
        **{"volume-discounts": [dict(TIERS, categories=["小物"]), dict(TIERS, label="靴下", categories=[],
                                                                       product_ids=["socks", "ghost"])],
           "post-purchase-offers": [dict(OFFER, replaces_product_id=None, trigger_products=["sneakers", "yeti"],
                                         downsell=dict(OFFER["downsell"], trigger_categories=["hats"]))]})
    response = admin.post(f"{API}/import", json=wrong)
    assert response.status_code == 400
    assert response.json["error"]["message"] == "The import was refused; nothing was changed."
    fields = response.json["error"]["fields"]
    assert list(fields["bundles"]) == ["1"]
    assert "Your shop does not sell unicorn" in fields["bundles"]["1"]["items"][0]
    assert "Your shop has no category 小物" in fields["volume-discounts"]["0"]["categories"][0]
    assert "ghost" in fields["volume-discounts"]["1"]["product_ids"][0]
    offer = fields["post-purchase-offers"]["0"]
    assert "yeti" in offer["trigger_products"][0] and "hats" in offer["downsell"]["trigger_categories"][0]
    assert snapshot(shop) == before
    assert shop[3].product_calls == calls + 1  # one question to the adapter for the whole document


def test_a_shop_without_categories_still_has_its_products_checked(database_url, make_shop):
    shop = make_shop(database_url, adapter=type("Plain", (MemoryAdapter,), {"admin": True})())
    client = client_for(shop[0])
    typed = document(**{"volume-discounts": [dict(TIERS, categories=["anything"])]})
    assert client.post(f"{API}/import", json=typed).status_code == 200  # categories are typed, not checked
    unknown = document(bundles=[dict(PAIR, items=[{"product_id": "spray"}, {"product_id": "unicorn"}])])
    response = client.post(f"{API}/import", json=unknown)
    assert response.status_code == 400 and "unicorn" in str(response.json["error"]["fields"]["bundles"]["0"])


def test_a_document_of_known_products_and_categories_imports(shop, admin):
    exported = admin.get(f"{API}/export").json
    response = admin.post(f"{API}/import", json=exported)
    assert response.status_code == 200, response.json
    assert response.json["created"] == {"bundles": 1, "volume-discounts": 1, "buy-x-get-y": 0,
                                        "shipping-thresholds": 0, "post-purchase-offers": 1,
                                        "spend-discounts": 0, "free-gifts": 0}


def test_the_upload_page_names_each_unknown_product(shop, admin):
    before = snapshot(shop)
    page = admin.get(f"{ADMIN}/transfer").get_data(as_text=True)
    token = BeautifulSoup(page, "html.parser").select_one("input[name=csrf_token]")["value"]
    bad = document(bundles=[dict(PAIR, items=[{"product_id": "spray"}, {"product_id": "unicorn"}])])
    response = admin.post(f"{ADMIN}/transfer", headers={"Accept-Language": "en"}, data={
        "csrf_token": token, "confirm_replace": "1",
        "document": (io.BytesIO(json.dumps(bad).encode()), "export.json")})
    assert response.status_code == 400
    text = BeautifulSoup(response.data, "html.parser").get_text(" ")
    assert "Your shop does not sell unicorn" in text
    assert snapshot(shop) == before


def test_the_cli_exports_imports_and_names_what_it_refuses(shop, admin, tmp_path):
    app = shop[0]
    runner = app.test_cli_runner()
    exported = tmp_path / "export.json"
    assert runner.invoke(args=["tsuide", "export", str(exported)]).exit_code == 0
    saved = json.loads(exported.read_text(encoding="utf-8"))
    assert saved["version"] == 2 and saved["bundles"][0]["discount_percent"] == 10

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(saved, bundles=[dict(PAIR, items=[{"product_id": "unicorn"},
                                                                    {"product_id": "spray"}])])), encoding="utf-8")
    before = snapshot(shop)
    refused = runner.invoke(args=["tsuide", "import", str(bad)])
    assert refused.exit_code == 1
    assert "The import was refused; nothing was changed." in refused.output
    assert "bundles[0].items: Your shop does not sell unicorn" in refused.output
    assert snapshot(shop) == before

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    assert "is not an export" in runner.invoke(args=["tsuide", "import", str(garbage)]).output

    done = runner.invoke(args=["tsuide", "import", str(exported)])
    assert done.exit_code == 0, done.output
    assert "imported 1 bundles, 1 volume-discounts, 0 buy-x-get-y, 0 shipping-thresholds, 1 post-purchase-offers" in done.output
    with app.app_context():
        entry = shop[1].session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        assert (entry.action, entry.actor) == ("import", "flask tsuide import")
