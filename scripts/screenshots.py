"""Take the README's screenshots of the demo shop: `.venv/bin/python scripts/screenshots.py [NAME ...]`.

With names (`cart`, `cart-en`, `cart-375`, `thank-you`, `product`, `subscribe`, `subscribe-en`, `next-delivery`,
`next-delivery-email`, `subscribe-product`, `subscribe-checkout-375`, `admin-renewals`), only those are taken again.

The admin's pictures (`admin-bundles`, `admin-edit`, `admin-picker`, `analytics`) are taken by the browser tests
that walk those pages: `TSUIDE_SCREENSHOTS=1 bash scripts/test.sh tests/test_admin_browser.py
tests/test_admin_picker_browser.py` writes them into docs/.

Needs Debian's Chromium and a Japanese font (`apt-get install chromium fonts-ipafont-gothic`).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from live_server import serving  # noqa: E402

from demo import create_app  # noqa: E402
from demo.extensions import db  # noqa: E402
from demo.seed import seed_all  # noqa: E402
from plugin.storage import migrate  # noqa: E402

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def add(page, base: str, product_id: str, quantity: int = 1) -> None:
    page.goto(f"{base}/products/{product_id}")
    page.fill(".add-form input[name=quantity]", str(quantity))
    page.click(".add-form button[type=submit]")
    page.wait_for_load_state()


def place_order(page, base: str, product_id: str) -> None:
    """Buy ``product_id`` through the checkout, ending on the thank-you page."""
    add(page, base, product_id)
    page.goto(f"{base}/checkout")
    page.fill("input[name=name]", "山田 花子")
    page.fill("input[name=card]", "4242 4242 4242 4242")
    page.click(".checkout-form button[type=submit]")
    page.wait_for_selector('[data-tsuide="thank-you"]')


def main(only: set[str]) -> None:
    def wanted(name: str) -> bool:
        return not only or name in only

    with tempfile.TemporaryDirectory() as folder:
        # No holdout: the pictures show the offers (a random 5% of visitors would see none).
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/shop.sqlite", "TSUIDE_HOLDOUT_PERCENT": 0,
                          "DEMO_ADMIN_SWITCH": True})
        with app.app_context():
            migrate.upgrade(db.engine)
            seed_all()
        with serving(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROME_ARGS)
            for name, width, language in [("cart", 1280, "ja"), ("cart-en", 1280, "en"), ("cart-375", 375, "ja")]:
                if not wanted(name):
                    continue
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(f"{base}/lang/{language}")
                add(page, base, "healthfood")
                add(page, base, "sneakers")
                page.goto(f"{base}/cart")
                page.screenshot(path=str(ROOT / "docs" / f"{name}.png"), full_page=True)
                page.close()
            if wanted("thank-you"):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/lang/ja")
                place_order(page, base, "sneakers")
                page.screenshot(path=str(ROOT / "docs" / "thank-you.png"), full_page=True)
                page.close()
            if wanted("product"):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/lang/ja")
                page.goto(f"{base}/products/spray")
                page.screenshot(path=str(ROOT / "docs" / "product.png"), full_page=True)
                page.close()
            for name, language in [("subscribe", "ja"), ("subscribe-en", "en")]:
                if wanted(name) or (name == "subscribe" and any(wanted(n) for n in ("next-delivery",
                                                                                    "next-delivery-email"))):
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    page.goto(f"{base}/lang/{language}")
                    place_order(page, base, "healthfood")  # one bag: the 定期 switch, its terms before the button
                    page.screenshot(path=str(ROOT / "docs" / f"{name}.png"), full_page=True)
                    if name == "subscribe" and (wanted("next-delivery") or wanted("next-delivery-email")):
                        page.locator('[data-tsuide="thank-you"] button[type=submit]').first.click()
                        page.wait_for_selector(".tsuide-thank-you__done")
                        page.goto(f"{base}/orders")
                        page.click("#subscriptions a")
                        page.wait_for_selector('[data-tsuide="renewal"]')
                        page.screenshot(path=str(ROOT / "docs" / "next-delivery.png"), full_page=True)
                        page.click(".email-link")
                        page.wait_for_load_state()
                        page.screenshot(path=str(ROOT / "docs" / "next-delivery-email.png"), full_page=True)
                    page.close()
            if wanted("subscribe-product"):  # 単品 or 定期 on the product page, the terms before the button
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/lang/ja")
                page.goto(f"{base}/products/healthfood")
                page.check('input[name="purchase"][value="subscription"]')
                page.screenshot(path=str(ROOT / "docs" / "subscribe-product.png"), full_page=True)
                page.close()
            if wanted("subscribe-checkout-375"):  # the final confirmation of a 定期, on a phone
                page = browser.new_page(viewport={"width": 375, "height": 800})
                page.goto(f"{base}/lang/ja")
                page.goto(f"{base}/products/healthfood")
                page.check('input[name="purchase"][value="subscription"]')
                page.click(".add-form button[type=submit]")
                page.wait_for_load_state()
                page.goto(f"{base}/checkout")
                page.screenshot(path=str(ROOT / "docs" / "subscribe-checkout-375.png"), full_page=True)
                page.close()
            if wanted("admin-renewals"):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/lang/ja")
                page.click(".admin-switch button[type=submit]")
                page.wait_for_load_state()
                page.goto(f"{base}/tsuide/admin/renewals")
                page.screenshot(path=str(ROOT / "docs" / "admin-renewals.png"), full_page=True)
                page.close()
            browser.close()


if __name__ == "__main__":
    main(set(sys.argv[1:]))
