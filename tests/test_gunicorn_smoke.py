"""The demo shop under gunicorn: every page, every admin status filter, each with the exact status it should answer.

The test client forgives what a real server does not: an HTTP status of ``0 active`` passes through it, and
gunicorn answers 500. Here every answer goes through gunicorn and a socket, as a browser's would.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("bundles", "volume-discounts", "shipping-thresholds", "post-purchase-offers")
STATUSES = ("active", "scheduled", "expired", "paused", "deleted")
START_TIMEOUT_S = 20
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PANEL_CSRF = re.compile(r'data-tsuide-csrf="([^"]+)"')
#: Admin pages (under /tsuide/admin) and what each answers once the admin is open.
ADMIN_PAGES = {"/": 200, "/products": 200, "/products?q=sneak": 200, "/settings": 200, "/pairs": 200,
               "/audit": 200, "/audit?page=x": 200, "/transfer": 200, "/analytics": 200,
               "/analytics?start=2026-02-30": 400, "/analytics.csv": 200, "/export.json": 200}
ADMIN_API = {"/settings": 200, "/audit": 200, "/export": 200, "/features": 200, "/products?q=sneak": 200,
             "/mined-pairs": 200, "/analytics": 200, "/openapi.json": 200, "/nope": 404, "/bundles/999999": 404,
             "/bundles?status=bogus": 400}
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                    "X-Content-Type-Options": "nosniff"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """One visitor: a fresh connection per request, the cookies kept, redirects not followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        sent = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()), **(headers or {})}
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";")[0]
        connection.close()
        return response, text

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str]):
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})


def _seed(url: str) -> dict[str, str]:
    """The demo's database, seeded, without a holdout; answers with a record id of each kind."""
    from demo import create_app
    from demo.extensions import db
    from demo.seed import seed_all
    from plugin import models
    from plugin.storage import migrate

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "smoke-test"})
    with app.app_context():
        migrate.upgrade(db.engine)
        seed_all(history=False)
        db.session.merge(models.Setting(key="holdout_percent", value=0))
        db.session.commit()
        ids = {kind: str(db.session.query(model.id).filter(*where).order_by(model.id).first()[0])
               for kind, model, where in (
                   ("bundles", models.Bundle, ()), ("volume-discounts", models.VolumeRule, ()),
                   ("shipping-thresholds", models.ShippingRule, ()),
                   ("post-purchase-offers", models.PostPurchaseOffer, (models.PostPurchaseOffer.parent_id.is_(None),)))}
        db.session.remove()
        db.engine.dispose()
    return ids


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo under gunicorn on a free loopback port; its log is checked for tracebacks at the end."""
    directory = tmp_path_factory.mktemp("gunicorn")
    url = f"sqlite:///{directory / 'shop.sqlite'}"
    ids = _seed(url)
    port, log = free_port(), directory / "gunicorn.log"
    environment = {**os.environ, "DEMO_DATABASE_URL": url, "DEMO_SECRET_KEY": "smoke-test",
                   "PYTHONPATH": str(ROOT)}  # this checkout's plugin, whatever is installed
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
         "--error-logfile", str(log), "--log-level", "warning", "demo:create_app()"],
        cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the workers go down with it
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not listen within {START_TIMEOUT_S} s")
                time.sleep(0.1)
        yield port, ids
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    assert "Traceback" not in log.read_text(errors="replace")


def expect(browser: Browser, path: str, status: int, **kwargs):
    response, text = browser.get(path, **kwargs)
    assert response.status == status, (path, response.status, response.reason, text[:300])
    return response, text


def test_every_shopper_page_answers_as_it_should(served):
    port, ids = served
    browser = Browser(port)
    _, home = expect(browser, "/", 200)
    product_ids = sorted(set(re.findall(r'href="/products/([^"/?]+)"', home)))
    assert len(product_ids) > 5
    for product_id in product_ids:
        expect(browser, f"/products/{product_id}", 200)
        expect(browser, f"/images/{product_id}.svg", 200)
    for path, status in {"/?category=shoes": 200, "/?category=nope": 200, "/products/nope": 404, "/cart": 200,
                         "/checkout": 302, "/orders": 200, "/orders/999999/thanks": 404, "/orders/999999/email": 404,
                         "/lang/en?next=/cart": 302, "/lang/ja": 302, "/tsuide/static/widget.js": 200,
                         "/tsuide/static/tsuide.css": 200, "/tsuide/api/cart": 200,
                         "/tsuide/api/orders/999999/offer": 404, "/tsuide/admin/": 403, "/tsuide/admin/bundles/": 403,
                         "/tsuide/admin/api/bundles": 403}.items():
        expect(browser, path, status)

    # A purchase, as a shopper makes it without JavaScript: add, the panel's form, checkout, thank-you page.
    token = CSRF.search(home).group(1)
    response, _ = browser.post_form("/cart/add", {"product_id": "sneakers", "quantity": "1", "csrf_token": token})
    assert (response.status, response.headers["Location"]) == (302, "/cart")
    _, cart = expect(browser, "/cart", 200)
    panel_token = PANEL_CSRF.search(cart).group(1)
    for next_url, location in (("/cart", "/cart"), ("//evil.example/phish", "/"), ("/\\evil.example", "/"),
                               ("http://127.0.0.1//evil.example", "/")):
        response, _ = browser.post_form("/tsuide/api/cart/items", {"product_id": "spray", "quantity": "1",
                                                                   "csrf_token": panel_token, "next": next_url})
        assert (response.status, response.headers["Location"]) == (303, location), next_url
    response, text = browser.request("POST", "/tsuide/api/cart/items", b'{"items": [' + b" " * 100_000 + b"]}",
                                     {"Content-Type": "application/json", "X-CSRFToken": panel_token})
    assert response.status == 413, text[:300]
    response, text = browser.request("POST", "/tsuide/api/cart/items", b"[" * 5_000 + b"]" * 5_000,
                                     {"Content-Type": "application/json", "X-CSRFToken": panel_token})
    assert response.status == 400, text[:300]
    _, checkout = expect(browser, "/checkout", 200)
    response, _ = browser.post_form("/checkout", {"name": "Smoke", "card": "4242 4242 4242 4242",
                                                  "csrf_token": CSRF.search(checkout).group(1)})
    assert response.status == 302 and response.headers["Location"].endswith("/thanks")
    thanks = response.headers["Location"]
    _, page = expect(browser, thanks, 200)
    expect(browser, thanks.replace("/thanks", "/email"), 200)
    order = re.search(r'data-tsuide-order="([^"]+)"', page)
    if order:  # the shoe-care offer follows sneakers
        expect(browser, f"/tsuide/api/orders/{order.group(1)}/offer", 200)


def test_every_admin_page_and_status_filter_answers_as_it_should(served):
    port, ids = served
    closed = Browser(port)
    for path in ADMIN_PAGES:
        expect(closed, f"/tsuide/admin{path}", 403)
    expect(closed, "/tsuide/admin/nope", 404)  # no such page, open or closed
    for kind in KINDS:
        expect(closed, f"/tsuide/admin/{kind}/?status=active", 403)
        expect(closed, f"/tsuide/admin/api/{kind}?status=active", 403)

    admin = Browser(port)
    _, home = expect(admin, "/", 200)
    response, _ = admin.post_form("/account/admin", {"admin": "1", "csrf_token": CSRF.search(home).group(1)})
    assert (response.status, response.headers["Location"]) == (302, "/tsuide/admin/")
    for path, status in ADMIN_PAGES.items():
        response, _ = expect(admin, f"/tsuide/admin{path}", status)
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, path
    expect(admin, "/tsuide/admin/nope", 404)
    for path, status in ADMIN_API.items():
        expect(admin, f"/tsuide/admin/api{path}", status)
    for kind in KINDS:
        for path, status in {"/": 200, "/?status=bogus": 200, "/?page=0": 200, "/new": 200,
                             f"/{ids[kind]}": 200, "/999999": 404, "/abc": 404}.items():
            expect(admin, f"/tsuide/admin/{kind}{path}", status)
        expect(admin, f"/tsuide/admin/api/{kind}", 200)
        expect(admin, f"/tsuide/admin/api/{kind}/{ids[kind]}", 200)
        for status in STATUSES:
            expect(admin, f"/tsuide/admin/{kind}/?status={status}", 200)
            expect(admin, f"/tsuide/admin/{kind}/?status={status}&page=2", 200)
            expect(admin, f"/tsuide/admin/api/{kind}?status={status}", 200)
