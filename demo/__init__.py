"""つむぎ商店 / Tsumugi Store: a small Flask shop that mounts Tsuide the way the README tells shop owners to.

Run it with::

    flask --app demo tsuide db upgrade   # the plugin's tables
    flask --app demo demo seed           # the shop's tables, catalogue, rules and past orders
    flask --app demo run
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import shopper
from .adapter import DemoAdapter
from .extensions import db, tsuide

HERE = Path(__file__).resolve().parent
#: The session key the demo falls back to: public (it is in this file), so anyone can forge a session with it.
DEFAULT_SECRET_KEY = "tsumugi-demo-not-secret"


def create_app(config: dict | None = None) -> Flask:
    """The demo shop. ``config`` overrides the defaults (tests pass their database URI and ``TESTING``)."""
    app = Flask(__name__, instance_path=str(HERE / "instance"))
    default_database = f"sqlite:///{Path(app.instance_path) / 'shop.sqlite'}"
    app.config.update(
        SECRET_KEY=os.environ.get("DEMO_SECRET_KEY", DEFAULT_SECRET_KEY),
        SQLALCHEMY_DATABASE_URI=os.environ.get("DEMO_DATABASE_URL") or default_database,
        SESSION_COOKIE_SAMESITE="Lax",
        #: Lets the footer's switcher open Tsuide's admin (``/tsuide/admin/``) for this session. Demo only:
        #: a real shop opens the admin to its staff from ``is_admin()`` in its adapter.
        DEMO_ADMIN_SWITCH=True,
        # Thank-you page offers: the e-mail block links back to this page (it takes ``order_id``), and
        # its "open until" time is shown in the shop's own time zone.
        TSUIDE_THANK_YOU_ENDPOINT="shop.thanks",
        TSUIDE_TIMEZONE="Asia/Tokyo",
        # The demo's headline nudge is "2 more bags for the 3-bag set" from one bag: twice the cart, so the
        # demo allows offers up to 2x its subtotal (the plugin's default, 1.0, would hide it).
        TSUIDE_CART_OFFER_MAX_RATIO=2.0,
    )
    app.config.update(config or {})
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        _warn_default_secret_key(app)
    if app.config["SQLALCHEMY_DATABASE_URI"] == default_database:
        os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    # Mounting Tsuide: the shop's db and its adapter.
    tsuide.init_app(app, db=db, adapter=DemoAdapter())

    from .seed import demo_cli
    from .views import shop

    app.register_blueprint(shop)
    app.cli.add_command(demo_cli)
    return app


def _warn_default_secret_key(app: Flask) -> None:
    """Loudly, at every start: sessions (carts, the admin switch, CSRF tokens) signed with a public key."""
    app.logger.warning(
        "\n%s\nTHE DEMO RUNS ON ITS DEFAULT SECRET_KEY, which is public: anyone can forge its sessions, and so\n"
        "open the admin. Fine on 127.0.0.1; anywhere else set DEMO_SECRET_KEY, e.g.\n"
        "  export DEMO_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')\n%s",
        "!" * 78, "!" * 78,
    )


@tsuide.locale_selector
def _shopper_language() -> str:
    return shopper.lang()
