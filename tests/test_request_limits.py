"""Cheap requests stay cheap: every endpoint refuses a body too large (413) or JSON too complex (400) up front."""
import io
import json
import time

import pytest
from bs4 import BeautifulSoup

from plugin.admin.service import MAX_IMPORT_ERRORS, MAX_IMPORT_RECORDS
from plugin.storefront.request_limits import MAX_JSON_DEPTH, MAX_JSON_MEMBERS

MAX_BYTES, MAX_IMPORT_BYTES = 1_000, 5_000
IMPORTS = {"tsuide_admin_api.import_", "tsuide_admin.transfer"}
#: A value for each URL argument of the plugin's routes.
ARGUMENTS = {"kind": "bundles", "record_id": "1", "action": "pause", "order_id": "A-1", "filename": "widget.js",
             "product_id": "spray", "token": "x"}
BUNDLE = {"label": "Set", "pricing_mode": "percent_off", "discount_percent": 10,
          "items": [{"product_id": "healthfood", "quantity": 3}]}


class CountingStream:
    """A request body of ``size`` spaces (or endless) that counts what the server read of it."""

    def __init__(self, size=None):
        self.size, self.read_bytes = size, 0

    def read(self, limit=-1):
        chunk = 64 * 1024 if limit is None or limit < 0 else min(limit, 64 * 1024)
        if self.size is not None:
            chunk = min(chunk, self.size - self.read_bytes)
        self.read_bytes += chunk
        return b" " * chunk

    def readline(self, limit=-1):
        return self.read(limit)


def send(client, url, stream, length=None, method="POST"):
    """``stream`` as the body, announced as ``length`` bytes (or, with ``None``, sent chunked)."""
    if length is None:  # as gunicorn passes on a chunked body
        environ = {"wsgi.input": stream, "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}
    else:
        environ = {"wsgi.input": stream, "CONTENT_LENGTH": str(length)}
    return client.open(url, method=method, content_type="application/json", environ_overrides=environ)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from shop import make_shop

    app, db, tsuide, adapter = make_shop(f"sqlite:///{tmp_path_factory.mktemp('limits') / 'shop.sqlite'}",
                                         WTF_CSRF_ENABLED=False, TSUIDE_MAX_REQUEST_BYTES=MAX_BYTES,
                                         TSUIDE_MAX_IMPORT_BYTES=MAX_IMPORT_BYTES)
    adapter.admin = True
    yield app, adapter
    with app.app_context():
        db.engine.dispose()


def plugin_routes(app):
    """(endpoint, method, url) of every route the plugin registers."""
    urls = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("tsuide", "tsuide_admin", "tsuide_admin_api"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            values = {name: ARGUMENTS[name] for name in rule.arguments}
            yield rule.endpoint, method, urls.build(rule.endpoint, values, method=method)


def test_every_endpoint_refuses_a_body_over_its_limit_before_reading_it(shop):
    app, adapter = shop
    client = app.test_client()
    routes = list(plugin_routes(app))
    assert len(routes) > 40
    for endpoint, method, url in routes:
        limit = MAX_IMPORT_BYTES if endpoint in IMPORTS else MAX_BYTES
        stream = CountingStream(limit + 1)
        response = send(client, url, stream, limit + 1, method)
        assert response.status_code == 413, (endpoint, method, response.status_code)
        assert stream.read_bytes == 0, endpoint
        if endpoint in IMPORTS:  # the import's own, larger limit: a body over the usual one gets through
            response = client.open(url, method=method, data=b"{}" + b" " * (MAX_BYTES + 1),
                                   content_type="application/json")
            assert response.status_code != 413, endpoint


def test_a_50_mb_body_is_refused_from_its_length_and_never_read(shop):
    app, adapter = shop
    for url in ("/tsuide/api/cart/items", "/tsuide/admin/api/import", "/tsuide/admin/api/bundles"):
        stream = CountingStream(50 * 1024 * 1024)
        response = send(app.test_client(), url, stream, 50 * 1024 * 1024)
        assert response.status_code == 413 and stream.read_bytes == 0
        assert "at most" in response.json["error"]["message"]
    assert adapter.lines == {}


def test_a_body_without_a_length_is_cut_off_at_the_limit(shop):
    app, adapter = shop
    for url, limit in (("/tsuide/api/cart/items", MAX_BYTES), ("/tsuide/admin/api/import", MAX_IMPORT_BYTES)):
        endless = CountingStream()
        response = send(app.test_client(), url, endless)
        assert response.status_code == 413
        assert endless.read_bytes <= limit + 64 * 1024  # a chunk past the limit at most, not the endless rest


def test_a_shops_own_stricter_limit_stays_in_force(shop):
    app, adapter = shop
    app.config["MAX_CONTENT_LENGTH"] = 100
    try:
        for url in ("/tsuide/api/cart/items", "/tsuide/admin/api/bundles"):
            assert send(app.test_client(), url, CountingStream(101), 101).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = None


def test_a_plain_form_too_large_is_413_too_not_a_redirect(shop):
    app, adapter = shop
    response = app.test_client().post("/tsuide/api/cart/items",
                                      data={"product_id": "spray", "next": "/cart", "padding": "x" * MAX_BYTES})
    assert response.status_code == 413
    assert adapter.lines == {}


def test_a_million_items_are_refused_at_once(shop):
    app, adapter = shop
    body = json.dumps({"items": [{"product_id": "spray", "quantity": 1}] * 1_000_000})
    started = time.monotonic()
    response = app.test_client().post("/tsuide/api/cart/items", data=body, content_type="application/json")
    assert response.status_code == 413
    assert time.monotonic() - started < 2
    assert adapter.lines == {}


@pytest.mark.parametrize("url", ["/tsuide/api/cart/items", "/tsuide/admin/api/bundles", "/tsuide/admin/api/import",
                                 "/tsuide/api/orders/A-1/offer/accept", "/tsuide/admin/api/settings"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_json_nested_too_deeply_is_a_400_that_says_so(shop, url, depth):
    app, adapter = shop
    body = "[" * depth + "]" * depth
    if depth > MAX_BYTES:  # past the size limit: raise it, so the nesting itself is what is refused
        app.config.update(TSUIDE_MAX_REQUEST_BYTES=10**6, TSUIDE_MAX_IMPORT_BYTES=10**6)
    try:
        method = "PUT" if url.endswith("settings") else "POST"
        response = app.test_client().open(url, method=method, data=body, content_type="application/json")
    finally:
        app.config.update(TSUIDE_MAX_REQUEST_BYTES=MAX_BYTES, TSUIDE_MAX_IMPORT_BYTES=MAX_IMPORT_BYTES)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["error"]["message"] == f"The JSON is nested too deeply: at most {MAX_JSON_DEPTH} levels."


def test_json_nested_within_the_limit_reaches_the_schema(shop):
    app, adapter = shop
    value = "x"
    for _ in range(MAX_JSON_DEPTH - 1):
        value = [value]
    response = app.test_client().post("/tsuide/admin/api/bundles", json={"label": value})  # 32 levels
    assert response.status_code == 400 and "label" in response.json["error"]["fields"]


def test_a_list_with_too_many_members_is_a_400_that_says_so(shop):
    app, adapter = shop
    app.config.update(TSUIDE_MAX_IMPORT_BYTES=10**7)
    try:
        document = {"format": "tsuide-settings", "version": 2, "bundles": [0] * 1_000_000}
        started = time.monotonic()
        response = app.test_client().post("/tsuide/admin/api/import", json=document)
        assert time.monotonic() - started < 5
    finally:
        app.config.update(TSUIDE_MAX_IMPORT_BYTES=MAX_IMPORT_BYTES)
    assert response.status_code == 400
    assert response.json["error"]["message"] == (
        f"A list or object in the JSON has too many members: at most {MAX_JSON_MEMBERS:,}.")


def test_an_uploaded_export_too_deep_is_refused_on_the_page(shop):
    app, adapter = shop
    app.config.update(TSUIDE_MAX_IMPORT_BYTES=10**6)
    try:
        deep = ("[" * 50_000 + "]" * 50_000).encode()
        response = app.test_client().post("/tsuide/admin/transfer", data={
            "confirm_replace": "1", "document": (io.BytesIO(deep), "export.json")})
    finally:
        app.config.update(TSUIDE_MAX_IMPORT_BYTES=MAX_IMPORT_BYTES)
    assert response.status_code == 400
    page = BeautifulSoup(response.data, "html.parser")
    assert "入れ子が深すぎます" in page.get_text()


def test_an_import_has_a_record_limit_and_names_a_limited_number_of_errors(shop):
    app, adapter = shop
    app.config.update(TSUIDE_MAX_IMPORT_BYTES=10**7)
    client = app.test_client()
    try:
        too_many = {"format": "tsuide-settings", "version": 2, "bundles": [BUNDLE] * (MAX_IMPORT_RECORDS // 2),
                    "volume-discounts": [{}] * (MAX_IMPORT_RECORDS // 2 + 1)}
        response = client.post("/tsuide/admin/api/import", json=too_many)
        assert response.status_code == 400
        assert response.json["error"]["fields"]["_schema"] == [
            f"At most {MAX_IMPORT_RECORDS:,} records can be imported at once; this document has "
            f"{MAX_IMPORT_RECORDS + 1:,}."]
        invalid = {"format": "tsuide-settings", "version": 2, "bundles": [{"label": ""}] * MAX_IMPORT_RECORDS}
        started = time.monotonic()
        response = client.post("/tsuide/admin/api/import", json=invalid)
        assert time.monotonic() - started < 5
    finally:
        app.config.update(TSUIDE_MAX_IMPORT_BYTES=MAX_IMPORT_BYTES)
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert len(fields["bundles"]) == MAX_IMPORT_ERRORS
    assert fields["_schema"] == [f"Checking stopped after {MAX_IMPORT_ERRORS} records with errors: fix these and "
                                 "import again."]
    assert len(response.data) < 50_000
    assert client.get("/tsuide/admin/api/bundles").json["total"] == 0
