"""The page helpers: server-rendered panels that work without JavaScript and never break the page."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .bundles import Quote
from .i18n import format_percent

if TYPE_CHECKING:
    from .extension import Tsuide

log = logging.getLogger("tsuide")
VISITOR_KEY = "tsuide_visitor"


def visitor_id() -> str:
    """A random id for this browser's session, so beacons can be counted per visitor."""
    if VISITOR_KEY not in session:
        session[VISITOR_KEY] = secrets.token_hex(8)
    return session[VISITOR_KEY]


def log_failure(tsuide: Tsuide, name: str, error: Exception) -> None:
    """Log a failure once per cause (not once per page view), and leave the session usable."""
    state = tsuide._state()
    first_line = str(error).splitlines()[0] if str(error) else ""
    cause = f"{name}:{type(error).__name__}:{first_line}"
    if cause not in state.logged_failures:
        state.logged_failures.add(cause)
        log.error("tsuide: the %s failed and was left out of the page", name, exc_info=error)
    try:
        state.db.session.rollback()
    except Exception:  # the database may be what failed
        pass


def safely(tsuide: Tsuide, name: str, render: Callable[[], str]) -> Markup:
    """Render a panel; on any failure, log once per cause and give the shop an empty panel."""
    try:
        return Markup(render())
    except Exception as error:  # never break the shop's page
        log_failure(tsuide, name, error)
        return Markup("")


def _local_next() -> str:
    """Where a no-JavaScript form should come back to: this page."""
    return request.full_path.rstrip("?") if request else "/"


def render_cart_panel(tsuide: Tsuide, quote: Quote) -> str:
    return render_template(
        "tsuide/cart_panel.html",
        quote=quote,
        _=tsuide.gettext,
        money=tsuide.format_money,
        percent=format_percent,
        csrf_token=generate_csrf(),
        add_url=url_for("tsuide.add_to_cart"),
        next_url=_local_next(),
        visitor=visitor_id(),
    )


def cart_panel(tsuide: Tsuide, quote: Quote | None) -> Markup:
    def render() -> str:
        if quote is not None and quote.degraded:
            return ""  # the plugin already failed for this page; the shop shows its own prices
        return render_cart_panel(tsuide, quote if quote is not None else tsuide.quote())

    return safely(tsuide, "cart panel", render)


def widget_script(tsuide: Tsuide) -> Markup:
    def render() -> str:
        return str(
            Markup('<script src="{}" defer data-tsuide-api="{}" data-tsuide-events="{}"></script>').format(
                url_for("tsuide.static", filename="widget.js"), url_for("tsuide.cart_api"), url_for("tsuide.events")
            )
        )

    return safely(tsuide, "widget script", render)


def stylesheet(tsuide: Tsuide) -> Markup:
    def render() -> str:
        return str(Markup('<link rel="stylesheet" href="{}">').format(url_for("tsuide.static", filename="tsuide.css")))

    return safely(tsuide, "stylesheet", render)
