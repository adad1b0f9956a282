"""Mounting: the init_app pattern, config defaults and a clear error for a missing adapter method."""
import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from shop import MemoryAdapter

from plugin import ShopAdapter, Tsuide


class OnlyTheRequired(ShopAdapter):
    """A shop that implements the three required methods and nothing else."""

    current_cart = MemoryAdapter.current_cart
    products = MemoryAdapter.products
    add_to_cart = MemoryAdapter.add_to_cart


def test_init_app_registers_everything_under_the_prefix(tmp_path):
    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'x.sqlite'}"
    db = SQLAlchemy(app)
    tsuide = Tsuide()
    tsuide.init_app(app, db=db, adapter=MemoryAdapter())
    assert app.extensions["tsuide"] is tsuide
    assert app.config["TSUIDE_URL_PREFIX"] == "/tsuide"
    assert app.config["TSUIDE_CURRENCY"] == "JPY"
    assert app.config["TSUIDE_MAX_CART_OFFERS"] == 2
    assert "tsuide" in app.cli.commands
    assert app.jinja_env.globals["tsuide"] is tsuide
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/tsuide/api/cart", "/tsuide/static/<path:filename>"} <= rules


def test_config_keys_can_be_set_by_the_shop(tmp_path):
    app = Flask("shop")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", TSUIDE_URL_PREFIX="/offers", TSUIDE_CURRENCY="USD")
    Tsuide(app, db=SQLAlchemy(app), adapter=MemoryAdapter())
    assert "/offers/api/cart" in {rule.rule for rule in app.url_map.iter_rules()}
    assert app.config["TSUIDE_CURRENCY"] == "USD"


def test_a_missing_required_method_is_named_at_start_up():
    class HalfDone(ShopAdapter):
        def current_cart(self):
            raise NotImplementedError

    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    with pytest.raises(TypeError, match=r"HalfDone must implement products\(\), add_to_cart\(\)"):
        Tsuide(app, db=SQLAlchemy(app), adapter=HalfDone())


def test_no_adapter_or_no_db_says_how_to_fix_it():
    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    with pytest.raises(TypeError, match="needs an adapter"):
        Tsuide(app, db=SQLAlchemy(app))
    with pytest.raises(TypeError, match="Flask-SQLAlchemy"):
        Tsuide(Flask("other"), adapter=MemoryAdapter())


def test_missing_optional_methods_switch_their_feature_off(tmp_path):
    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    tsuide = Tsuide(app, db=SQLAlchemy(app), adapter=OnlyTheRequired())
    with app.app_context():
        off = tsuide.missing_features()
    assert off["amend_order"] == "one-click post-purchase offers"
    assert off["search_products"] == "the admin's product picker"
    assert "current_cart" not in off


def test_admin_is_closed_by_default():
    assert OnlyTheRequired().is_admin() is False


def test_money_is_formatted_for_the_shoppers_language():
    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    tsuide = Tsuide(app, db=SQLAlchemy(app), adapter=MemoryAdapter())
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert tsuide.format_money(3_000) == "￥3,000"
    with app.test_request_context(headers={"Accept-Language": "en-US,en;q=0.9"}):
        assert tsuide.format_money(3_000) == "¥3,000"
        assert tsuide.format_money(1_250, "USD") == "$12.50"
    tsuide.locale_selector(lambda: "ja")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert tsuide.locale() == "ja"


def test_the_browsers_language_of_the_shops_then_the_default():
    """The browser's most preferred of ``TSUIDE_LOCALES``; of two it prefers equally, the first of ``TSUIDE_LOCALES``;
    none of them, the default; each worked out once per request."""
    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    tsuide = Tsuide(app, db=SQLAlchemy(app), adapter=MemoryAdapter())
    for header, expected in (("en;q=0.9,ja;q=0.8", "en"), ("en, ja", "ja"), ("ja, en", "ja"), ("fr", "ja"),
                             ("fr, en;q=0.1", "en")):
        with app.test_request_context(headers={"Accept-Language": header}):
            assert tsuide.locale() == expected, header
    app.config["TSUIDE_LOCALES"] = ("en", "ja")
    with app.test_request_context(headers={"Accept-Language": "ja, en"}):
        assert tsuide.locale() == "en"
