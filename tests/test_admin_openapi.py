"""The admin API's answers are what its OpenAPI document says, warnings included, checked answer by answer."""
import pytest
import schemathesis

from shop import MemoryAdapter
from shop import csrf_client

API = "/tsuide/admin/api"
#: A bundle of an out-of-stock scarf (a warning), a shadowed duplicate of it (more warnings), and copy that
#: contradicts its values ("20%" on a 10% set).
SCARF = {"label": "スカーフ20%オフ", "items": [{"product_id": "scarf"}, {"product_id": "tote"}],
         "pricing_mode": "percent_off", "discount_percent": 10, "margin_floor_percent": 2.5}
VOLUME = {"label": "小物", "categories": ["accessories"], "tiers": [{"min_quantity": 2, "discount_percent": 12.5}],
          "variants": [{"name": "A"}, {"name": "B", "label": "まとめて"}]}
SHIPPING = {"label": "送料無料", "currency": "JPY", "threshold": 5000, "fee": 600,
            "rewards": [{"threshold": 20000, "label": "ノベルティ"}]}
OFFER = {"label": "Care", "kind": "add_on", "items": [{"product_id": "spray"}], "trigger_products": ["sneakers"],
         "discount_percent": 20, "confirm_price_test": True, "variants": [{"name": "A"}, {"name": "B", "discount_percent": 30}],
         "downsell": {"label": "Brush", "kind": "add_on", "items": [{"product_id": "brush"}],
                      "trigger_products": ["sneakers"], "pricing_mode": "amount_off", "pricing_value": 100}}


class CategoryAdapter(MemoryAdapter):
    admin = True

    def categories(self):
        return [("accessories", "小物"), ("shoe-care", "シューケア"), ("food", "健康食品")]


@pytest.fixture
def admin(database_url, make_shop):
    app, *_ = make_shop(database_url, adapter=CategoryAdapter())
    client = csrf_client(app)
    return app, client


def conforms(schema, method, path, template, response):
    """Raise unless ``response`` is what the document says ``method template`` answers."""
    assert response.status_code < 300, (method, path, response.get_data(as_text=True)[:500])
    schema[template][method].validate_response(response)
    return response.json


def test_every_answer_validates_against_the_openapi_document(admin):
    app, client = admin
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    created = {}
    for kind, body in (("bundles", SCARF), ("bundles", dict(SCARF, label="同じセット")),
                       ("volume-discounts", VOLUME), ("shipping-thresholds", SHIPPING),
                       ("post-purchase-offers", OFFER)):
        record = conforms(schema, "POST", f"{API}/{kind}", f"/{kind}", client.post(f"{API}/{kind}", json=body))
        created.setdefault(kind, record)
    assert {warning["code"] for warning in created["bundles"]["warnings"]} >= {"out_of_stock",
                                                                                "label_contradicts_values"}
    for kind, record in created.items():
        item = f"/{kind}/{{record_id}}"
        path = f"{API}/{kind}/{record['id']}"
        conforms(schema, "GET", path, item, client.get(path))
        conforms(schema, "GET", f"{API}/{kind}", f"/{kind}", client.get(f"{API}/{kind}"))
        conforms(schema, "PATCH", path, item, client.patch(path, json={"priority": 1}))
        for action in ("pause", "resume", "duplicate"):
            conforms(schema, "POST", f"{path}/{action}", f"{item}/{action}", client.post(f"{path}/{action}"))
        conforms(schema, "DELETE", path, item, client.delete(path))
        conforms(schema, "POST", f"{path}/restore", f"{item}/restore", client.post(f"{path}/restore"))
    listing = conforms(schema, "GET", f"{API}/bundles", "/bundles", client.get(f"{API}/bundles?status=active"))
    assert any(item["warnings"] for item in listing["items"])
    for path in ("/settings", "/audit", "/export", "/products", "/renewals"):
        conforms(schema, "GET", f"{API}{path}", path, client.get(f"{API}{path}?" if path != "/products" else
                                                                 f"{API}/products?q=s"))
    document = client.get(f"{API}/export").json
    conforms(schema, "POST", f"{API}/import", "/import", client.post(f"{API}/import", json=document))


def test_an_answer_the_document_does_not_describe_fails_the_check(admin):
    """The check can fail: a record with a field the document does not name is refused."""
    app, client = admin
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    response = client.post(f"{API}/bundles", json=dict(SCARF, items=[{"product_id": "cap"}, {"product_id": "tote"}]))
    assert schema["/bundles"]["POST"].is_valid_response(response)
    response.set_data(response.get_data(as_text=True).replace('"discount_percent"', '"percent_bp"'))
    assert not schema["/bundles"]["POST"].is_valid_response(response)


def test_the_document_describes_the_linters_warnings(admin):
    app, client = admin
    components = client.get(f"{API}/openapi.json").json["components"]["schemas"]
    warning = components["Warning"]
    assert set(warning["required"]) == {"code", "severity", "fields", "message"}
    assert warning["properties"]["severity"]["enum"] == ["error", "warning"]
    assert {"unknown_product", "shadowed", "price_test", "label_contradicts_values"} <= set(
        warning["properties"]["code"]["enum"])
    assert warning["properties"]["fields"] == {"type": "array", "items": {"type": "string"},
                                               "description": warning["properties"]["fields"]["description"]}
    message = components["Message"]
    assert set(message["required"]) == {"ja", "en"} and message["properties"]["ja"]["type"] == "string"
    for name in ("BundleRecord", "VolumeDiscountRecord", "ThankYouOfferRecord"):
        assert components[name]["properties"]["warnings"]["items"] == {"$ref": "#/components/schemas/Warning"}
    for kind in ("Bundle", "ThankYouOffer", "Downsell"):
        percent = components[kind]["properties"]["discount_percent"]
        assert (percent["type"], percent["minimum"], percent["maximum"]) == ("number", 0, 100)
        assert components[kind]["properties"]["pricing_value"]["type"] == "integer"
    assert components["Tier"]["properties"]["discount_percent"]["exclusiveMinimum"] is True
    assert components["Bundle"]["properties"]["margin_floor_percent"]["maximum"] == 1000
    text = str(components)
    assert "percent_bp" not in text and "margin_floor_bp" not in text
