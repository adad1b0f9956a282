"""Helpers for the browser tests that check what a shopper sees: pages at a width, with or without JavaScript."""
from __future__ import annotations

import re
from contextlib import contextmanager

CART_PANEL = '[data-tsuide="cart"]'
THANK_YOU_PANEL = '[data-tsuide="thank-you"]'
CARD = "4242 4242 4242 4242"
#: The demo's pretend payment provider declines extra charges to cards ending in 0002.
DECLINING_CARD = "4242 0000 0000 0002"
WIDTHS = (1280, 375)


@contextmanager
def shopper_page(browser, width: int, javascript: bool = True, expected_errors: tuple[str, ...] = ()):
    """A fresh shopper (own cookies) at ``width``; fails on a script error or an unexpected console error."""
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript,
                                  locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    assert [text for text in errors if not any(expected in text for expected in expected_errors)] == []


def add_from_product_page(page, base: str, product_id: str, quantity: int = 1) -> None:
    page.goto(f"{base}/products/{product_id}")
    page.fill(".add-form input[name=quantity]", str(quantity))
    page.click(".add-form button[type=submit]")
    page.wait_for_url(f"{base}/**")


def take_and_reload_cart(page, base: str, button, javascript: bool) -> None:
    """Click a cart offer's ``button`` and open the cart again once the shop has answered: with JavaScript, when
    the panel announces the result in its live region; without, when the form's redirect has landed."""
    button.click()
    if javascript:
        page.wait_for_function("document.querySelector('[data-tsuide-live]').textContent.length > 0")
    else:
        page.wait_for_url(f"{base}/**")
    page.goto(f"{base}/cart")


def place_order(page, base: str, product_id: str, card: str = CARD) -> int:
    """Buy one ``product_id`` as a shopper does; ends on the thank-you page and returns the order id."""
    add_from_product_page(page, base, product_id)
    page.goto(f"{base}/checkout")
    page.fill("input[name=name]", "山田 花子")
    page.fill("input[name=card]", card)
    page.click(".checkout-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/orders/\d+/thanks$"))
    return int(re.search(r"/orders/(\d+)/thanks", page.url).group(1))


def widget_ready(page, selector: str) -> None:
    """Wait until widget.js has taken over the panel (it makes the panel focusable)."""
    page.wait_for_function("s => document.querySelector(s)?.getAttribute('tabindex') === '-1'", arg=selector)


def painted_box(locator) -> dict | None:
    """Where ``locator``'s element is painted, or ``None`` when it is not painted (or not in the page at all)."""
    return locator.bounding_box() if locator.count() else None


def hit(page, box: dict) -> str:
    """What a click at the centre of ``box`` lands on (for "can it still be clicked?")."""
    return page.evaluate(
        """([x, y]) => { const e = document.elementFromPoint(x, y);
                         return e ? (e.closest('button') ? 'button' : e.tagName.toLowerCase()) : 'nothing'; }""",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def parse_color(text: str) -> tuple[float, float, float, float]:
    """``rgb(…)``/``rgba(…)``/``color(srgb …)`` from getComputedStyle, as (r, g, b) 0–255 and alpha."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", text.split("(", 1)[1])]
    if text.startswith("color(srgb"):
        red, green, blue = (n * 255 for n in numbers[:3])
        return red, green, blue, numbers[3] if len(numbers) > 3 else 1.0
    return numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) > 3 else 1.0


def contrast(colour: str, backdrop: str) -> float:
    """The WCAG contrast ratio of a computed colour, as painted over an opaque ``backdrop``, against it."""
    *rgb, alpha = parse_color(colour)
    behind = parse_color(backdrop)[:3]
    painted = tuple(alpha * front + (1 - alpha) * back for front, back in zip(rgb, behind))
    lighter, darker = sorted((_luminance(painted), _luminance(behind)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


#: The colour a person sees behind an element: the nearest ancestor's opaque background colour.
BACKDROP = """e => { for (let n = e.parentElement; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (!/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') return c; }
  return 'rgb(255, 255, 255)'; }"""
