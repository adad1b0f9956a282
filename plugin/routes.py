"""The blueprint: the shopper's JSON API and the widget, under ``TSUIDE_URL_PREFIX``."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify

from ._json import quote_json

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> str:
    """``static/`` and ``templates/`` sit inside the installed package, or beside it in a checkout."""
    inside = _PACKAGE / name
    return str(inside if inside.is_dir() else _PACKAGE.parent / name)


blueprint = Blueprint(
    "tsuide",
    __name__,
    static_folder=_shipped("static"),
    template_folder=_shipped("templates"),
)


@blueprint.get("/api/cart")
def cart_api():
    """The quote and offers for the shopper's current cart."""
    tsuide = current_app.extensions["tsuide"]
    return jsonify(quote_json(tsuide.quote(), tsuide.format_money))
