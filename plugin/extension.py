"""The Flask extension a shop mounts: ``Tsuide(app, db=db, adapter=MyShopAdapter())``."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from weakref import WeakKeyDictionary

from flask import Flask, current_app, g, has_request_context, request
from markupsafe import Markup

from .storefront import panels as _panels, i18n, renewals as _renewals
from .storefront.exposure import NOBODY, Exposure, exposure_for
from .storefront.honest_copy import CartCopy, buttons_claim_urgency
from .storefront.visitor import assignment_salt
from .storage.rule_cache import RuleStore, Snapshot, Usage
from .storage.orders import record_order, record_order_rewards, record_subscription as _record_subscription, redeem
from .adapter import ShopAdapter, check_adapter, missing_features
from .admin import pages_analytics, renewals as _admin_renewals  # noqa: F401  (their routes join the admin blueprints)
from .admin.api import api as admin_api
from .admin.pages import pages as admin_pages
from .admin.schemas import SETTING_KEYS
from .engine.values import Cart, Product, Quote
from .engine.quote import quote_cart
from .engine.rules import Rule, RuleBook
from .cli import tsuide_cli
from .routes import blueprint

log = logging.getLogger("tsuide")

#: Config key -> the name an admin saves it under (see plugin.admin.schemas.SETTING_KEYS).
_SETTING_NAMES = {config_key: name for name, config_key in SETTING_KEYS.items()}

DEFAULTS = {
    "TSUIDE_URL_PREFIX": "/tsuide",
    "TSUIDE_CURRENCY": "JPY",
    "TSUIDE_LOCALES": ("ja", "en"),
    "TSUIDE_DEFAULT_LOCALE": "ja",
    "TSUIDE_MAX_CART_OFFERS": 2,
    "TSUIDE_MAX_GAP_FILLERS": 2,
    "TSUIDE_POST_PURCHASE_MINUTES": 15,
    "TSUIDE_EMAIL_OFFER_HOURS": 24,
    "TSUIDE_CLAIM_LEASE_SECONDS": 30,
    "TSUIDE_DECLINE_DAYS": 30,
    "TSUIDE_UPSELL_MAX_RATIO": 0.5,
    "TSUIDE_CART_OFFER_MAX_RATIO": 1.0,
    "TSUIDE_LOYAL_ORDERS": 5,
    "TSUIDE_THANK_YOU_ENDPOINT": None,
    "TSUIDE_TIMEZONE": "UTC",
    "TSUIDE_MINED_MIN_SUPPORT": 0.01,
    "TSUIDE_MINED_MIN_LIFT": 1.5,
    "TSUIDE_MINED_MIN_ORDERS": 5,
    "TSUIDE_EVENT_RETENTION_DAYS": 400,
    "TSUIDE_HOLDOUT_PERCENT": 5,
    "TSUIDE_SIGNIFICANCE": 0.05,
    "TSUIDE_MARGIN_FLOOR_PERCENT": None,
    "TSUIDE_URGENCY_MAX_DAYS": 14,
    "TSUIDE_ASSIGNMENT_SALT": None,
    "TSUIDE_MAX_REQUEST_BYTES": 64 * 1024,
    "TSUIDE_MAX_IMPORT_BYTES": 4 * 1024 * 1024,
    "TSUIDE_SHOP_URL": "/",
    "TSUIDE_RENEWAL_CUTOFF_DAYS": 2,
    "TSUIDE_RENEWAL_OFFERS": True,
    "TSUIDE_RENEWAL_PAIRS": True,
    "TSUIDE_RENEWAL_EXCLUDED_RULES": (),
}


def _margin_floor_bp(percent) -> int | None:
    """``TSUIDE_MARGIN_FLOOR_PERCENT`` as basis points; refuses anything but a number from 0 to 1000."""
    if percent is None:
        return None
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 <= percent <= 1_000:
        raise ValueError(f"TSUIDE_MARGIN_FLOOR_PERCENT must be a number of percent from 0 to 1000, not {percent!r}")
    return round(percent * 100)


def _ratio_bp(ratio) -> int | None:
    """``TSUIDE_CART_OFFER_MAX_RATIO`` as basis points (``None``: no ceiling); refuses a negative or odd value."""
    if ratio is None:
        return None
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1_000:
        raise ValueError(f"TSUIDE_CART_OFFER_MAX_RATIO must be a number from 0 to 1000, or None, not {ratio!r}")
    return round(ratio * 10_000)


@dataclass(frozen=True)
class PricingContext:
    """A cart with the rules, usage counts and catalogue entries that price it."""

    cart: Cart
    snapshot: Snapshot
    usage: Usage
    products: dict[str, Product]
    touching: list[Rule]
    companions: dict[str, list[str]]  #: mined "bought together" products of each cart product


@dataclass
class _AppState:
    db: object
    adapter: ShopAdapter
    store: RuleStore
    logged_failures: set[str]


def _config():
    """The app's config, with one look-up of the app: reading an attribute through the ``current_app`` proxy fails
    on the proxy first (a formatted ``AttributeError``) and then asks the app, about 1 µs each time; a cart API request
    read it about 36 times, with ``g``, ``request`` and ``session`` (docs/performance.md, "Fifth round")."""
    return current_app._get_current_object().config


#: Carts of at most this many products have their rule look-ups kept by the snapshot (see ``Tsuide._catalogue``).
LOOKUPS_UP_TO_PRODUCTS = 50


def _cart_lookups(snapshot: Snapshot, in_cart: frozenset[str], currency: str, thresholds: tuple
                  ) -> tuple[dict[str, list[str]], frozenset[str], list[Rule]]:
    """For a cart of these products: the products often bought with each, the products to ask the shop for (the
    cart's, those the rules touching them by product name, the companions, the currency's gifts and the products
    that earn them), and the currency's spend discounts and gifts."""
    often_with = snapshot.companions_of(in_cart, *thresholds)
    order_rules, gifts = snapshot.order_products(currency)
    companions = {other for others in often_with.values() for other in others}
    wanted = set(in_cart) | snapshot.referenced_products(snapshot.rulebook.touching(in_cart, ())) | companions | gifts
    return often_with, frozenset(wanted), order_rules


def _touching(snapshot: Snapshot, in_cart: frozenset[str], categories: frozenset
              ) -> tuple[list[Rule], frozenset[str]]:
    """The rules touching a cart of these products in these categories, and the products they name."""
    touching = snapshot.rulebook.touching(in_cart, categories)
    return touching, frozenset(snapshot.referenced_products(touching))


def _exposure_entry(visitor: str, tests, holdout_percent, salt: str) -> tuple[Exposure, bool]:
    """A visitor's exposure, and whether it is checked already: ``True`` when none of its variants' buttons claims
    urgency, so the copy guard would leave it as it is at any moment."""
    found = exposure_for(visitor, tests, holdout_percent, salt)
    return found, not buttons_claim_urgency(found)


class Tsuide:
    """Bundles, volume tiers and a free-shipping bar for a Flask shop.

    ``db`` is the shop's Flask-SQLAlchemy object and ``adapter`` the shop's
    :class:`~plugin.ShopAdapter`. Both may be given here or to :meth:`init_app`.
    """

    def __init__(self, app: Flask | None = None, *, db=None, adapter: ShopAdapter | None = None):
        self.db = db
        self.adapter = adapter
        self._locale_selector: Callable[[], str | None] | None = None
        self._apps: WeakKeyDictionary[Flask, _AppState] = WeakKeyDictionary()
        if app is not None:
            self.init_app(app, db=db, adapter=adapter)

    def init_app(self, app: Flask, *, db=None, adapter: ShopAdapter | None = None) -> None:
        """Register the plugin on ``app``.

        Reads these config keys, each with a default:

        - ``TSUIDE_URL_PREFIX`` (``"/tsuide"``): where the blueprint is mounted.
        - ``TSUIDE_CURRENCY`` (``"JPY"``): the shop's currency; amounts are its minor unit.
        - ``TSUIDE_LOCALES`` (``("ja", "en")``): languages shoppers may get.
        - ``TSUIDE_DEFAULT_LOCALE`` (``"ja"``): used when the browser asks for none of them.
        - ``TSUIDE_MAX_CART_OFFERS`` (``2``): offers shown on a cart page at most.
        - ``TSUIDE_MAX_GAP_FILLERS`` (``2``): products suggested to close the free-shipping gap.
        - ``TSUIDE_POST_PURCHASE_MINUTES`` (``15``): how long a thank-you offer stays open after the order.
        - ``TSUIDE_EMAIL_OFFER_HOURS`` (``24``): how long the confirmation e-mail's offer stays open after the
          order; its signed link opens the thank-you page with the offer's window extended to this.
        - ``TSUIDE_CLAIM_LEASE_SECONDS`` (``30``): an accepted offer whose charge has not finished after this
          long is taken to be interrupted (the worker died inside ``amend_order``); whoever looks next
          retries the charge once under the same idempotency key, then marks it accepted or releases it.
        - ``TSUIDE_DECLINE_DAYS`` (``30``): a declined thank-you offer is not shown to that shopper again for this long.
        - ``TSUIDE_UPSELL_MAX_RATIO`` (``0.5``): a thank-you offer never charges more than this share of the order.
        - ``TSUIDE_CART_OFFER_MAX_RATIO`` (``1.0``): a cart offer or gap filler never adds more than this
          share of the cart's subtotal (1.0: never more than doubling the cart); ``None`` for no ceiling.
        - ``TSUIDE_LOYAL_ORDERS`` (``5``): orders that make a customer "loyal" for targeting.
        - ``TSUIDE_THANK_YOU_ENDPOINT`` (``None``): the shop's thank-you page endpoint (taking ``order_id``),
          which the confirmation e-mail block links to.
        - ``TSUIDE_TIMEZONE`` (``"UTC"``): the shop's time zone, for times shown to shoppers.
        - ``TSUIDE_MARGIN_FLOOR_PERCENT`` (``None``, off): the shop-wide margin floor, in percent over cost,
          for every rule that sets none of its own: no unit of a product with a cost sells below it.
        - ``TSUIDE_URGENCY_MAX_DAYS`` (``14``): urgency wording ("今だけ", "limited time") is refused on an offer
          unless it ends within this many days or has a limit in total (景品表示法: the claim must be true).
        - ``TSUIDE_MINED_MIN_SUPPORT`` (``0.01``) and ``TSUIDE_MINED_MIN_LIFT`` (``1.5``): which pairs from
          ``flask tsuide mine`` count as bought together, for cart offers and gap fillers.
        - ``TSUIDE_MINED_MIN_ORDERS`` (``5``): ...and only from this many orders holding both products.
        - ``TSUIDE_EVENT_RETENTION_DAYS`` (``400``): ``flask tsuide prune-events`` deletes older events.
        - ``TSUIDE_HOLDOUT_PERCENT`` (``5``): the share of visitors who see no offers at all, the baseline
          the analytics measure what offers add against. ``0`` turns the holdout off.
        - ``TSUIDE_SIGNIFICANCE`` (``0.05``): the analytics name an A/B test's winner only below this p-value.
        - ``TSUIDE_ASSIGNMENT_SALT`` (``None``): the shop's secret salt for A/B assignment and the holdout, so
          nobody can work out which visitor ids land in which variant. ``None`` derives one from
          ``SECRET_KEY``; set it to keep visitors in their variants when the key changes.
        - ``TSUIDE_MAX_REQUEST_BYTES`` (``65536``): the largest body any of the plugin's endpoints reads; a
          larger one is a 413 before it is read.
        - ``TSUIDE_MAX_IMPORT_BYTES`` (``4194304``): the same, for the admin's import (API and upload page).
        - ``TSUIDE_RENEWAL_CUTOFF_DAYS`` (``2``): add-ons for a subscription's next delivery close this many
          days before it (the e-mail's links too).
        - ``TSUIDE_RENEWAL_OFFERS`` (``True``), ``TSUIDE_RENEWAL_PAIRS`` (``True``) and
          ``TSUIDE_RENEWAL_EXCLUDED_RULES`` (``()``): renewal add-ons on or off, whether mined pairs feed them,
          and the rule ids that never do (the admin's "Renewal add-ons" page saves its own over these).
        - ``TSUIDE_SHOP_URL`` (``"/"``): the shop's home page, where a form goes back to when it names no page
          of the shop, and the link on the closed admin's 403 page.
        - ``SECRET_KEY`` must be set: the plugin's forms and JSON writes carry a CSRF token, and visitor
          ids are signed with it (``SECRET_KEY_FALLBACKS`` are accepted too).

        The adapter's optional ``categories()`` (``(category id, display name)`` pairs) gives the admin a
        category picker, and refuses rules on categories the shop does not have; without it, categories are
        typed and not checked.
        """
        db = db if db is not None else self.db
        adapter = adapter if adapter is not None else self.adapter
        if db is None:
            raise TypeError("Tsuide needs the shop's Flask-SQLAlchemy object: Tsuide(app, db=db, adapter=...).")
        check_adapter(adapter)
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        _margin_floor_bp(app.config["TSUIDE_MARGIN_FLOOR_PERCENT"])  # a wrong value stops the app at start-up
        _ratio_bp(app.config["TSUIDE_CART_OFFER_MAX_RATIO"])
        self._apps[app] = _AppState(db, adapter, RuleStore(), set())
        app.extensions["tsuide"] = self

        prefix = app.config["TSUIDE_URL_PREFIX"]
        app.register_blueprint(blueprint, url_prefix=prefix)
        app.register_blueprint(admin_api, url_prefix=f"{prefix}/admin/api")
        app.register_blueprint(admin_pages, url_prefix=f"{prefix}/admin")
        app.add_template_global(self, "tsuide")
        app.cli.add_command(tsuide_cli)

    # -- per-app state -------------------------------------------------------------------------------

    def _state(self) -> _AppState:
        try:
            return self._apps[current_app._get_current_object()]
        except KeyError:
            raise RuntimeError("Tsuide is not registered on this app: call tsuide.init_app(app, ...).") from None

    @property
    def _adapter(self) -> ShopAdapter:
        return self._state().adapter

    def missing_features(self) -> dict[str, str]:
        """Adapter methods the shop has not provided, and the feature each one switches off."""
        return missing_features(self._adapter)

    # -- locale and money ----------------------------------------------------------------------------

    def locale_selector(self, selector: Callable[[], str | None]) -> Callable[[], str | None]:
        """Decorate a function that returns the shopper's locale (``"ja"``, ``"en"``...)."""
        self._locale_selector = selector
        return selector

    def locale(self) -> str:
        """The shopper's language: the shop's selector, else the browser's (of ``TSUIDE_LOCALES``, the one it prefers;
        of two it prefers equally, the first), else the default.

        Worked out once per request.
        """
        if not has_request_context():
            return self._choose_locale()
        request_g = g._get_current_object()  # asked for by every label and amount of a panel: one look-up of g
        found = request_g.get("tsuide_locale")
        if found is None:
            found = request_g.tsuide_locale = self._choose_locale()
        return found

    def _choose_locale(self) -> str:
        config = _config()
        allowed = config["TSUIDE_LOCALES"]
        chosen = self._locale_selector() if self._locale_selector else None
        if chosen is None and request:
            chosen = request._get_current_object().accept_languages.best_match(allowed)
        chosen = i18n.language(chosen) if chosen else None
        return chosen if chosen in allowed else config["TSUIDE_DEFAULT_LOCALE"]

    def format_money(self, amount: int, currency: str | None = None) -> str:
        """Format minor units for the shopper: ``tsuide.format_money(3000)`` -> ``"￥3,000"``."""
        return i18n.format_money(amount, currency or _config()["TSUIDE_CURRENCY"], self.locale())

    def _money(self) -> Callable[[int], str]:
        """:meth:`format_money` in the shop's currency, bound to this shopper's locale once (for a panel)."""
        return i18n.money_formatter(_config()["TSUIDE_CURRENCY"], self.locale())

    def _translator(self) -> Callable[..., str]:
        """:meth:`gettext`, bound to this shopper's locale once (for a panel)."""
        return i18n.translator(self.locale())

    # -- pricing -------------------------------------------------------------------------------------

    def _catalogue(self, cart: Cart, snapshot: Snapshot, adapter: ShopAdapter | None = None
                   ) -> tuple[dict[str, Product], list[Rule], dict[str, list[str]]]:
        """The products pricing needs (the cart's, and those its rules name), the rules it touches, and the
        products often bought with the cart's (worked out once: the look-up and the quote both need them).

        Which rules and products a cart's products call for is the same for every cart of those products under
        one snapshot: the snapshot keeps it (``Snapshot.lookups``, bounded). The products themselves, their
        categories and stock, are the adapter's and are asked for on every request.
        """
        adapter = adapter if adapter is not None else self._adapter
        in_cart = frozenset(line.product_id for line in cart.lines)
        config = _config()
        currency = config["TSUIDE_CURRENCY"]
        thresholds = (config["TSUIDE_MINED_MIN_SUPPORT"], config["TSUIDE_MINED_MIN_LIFT"],
                      config["TSUIDE_MINED_MIN_ORDERS"])
        kept = len(in_cart) <= LOOKUPS_UP_TO_PRODUCTS  # a long cart's look-ups are not kept: they would be large
        often_with, wanted, order_rules = (
            snapshot.lookups.get((in_cart, currency, thresholds),
                                 lambda: _cart_lookups(snapshot, in_cart, currency, thresholds))
            if kept else _cart_lookups(snapshot, in_cart, currency, thresholds)
        )
        if not in_cart:
            return {}, [], often_with
        # One look-up for the cart's products, those its rules name and those often bought with them;
        # a second only for rules that touch the cart through a category and name products not fetched yet.
        products = dict(adapter.products(set(wanted)))  # a set of its own: the kept one is never the shop's to change
        categories = frozenset(products[pid].category for pid in in_cart if pid in products)
        touching, named = (snapshot.lookups.get((in_cart, categories), lambda: _touching(snapshot, in_cart, categories))
                           if kept else _touching(snapshot, in_cart, categories))
        wanted = named - products.keys()
        if wanted:
            products.update(adapter.products(wanted))
        # Spend discounts and gifts touch every cart: their "first N" counts are read fresh like the rest.
        return products, touching + order_rules, often_with

    def _companions(self, snapshot: Snapshot, product_ids) -> dict[str, list[str]]:
        config = _config()
        return snapshot.companions_of(product_ids, config["TSUIDE_MINED_MIN_SUPPORT"], config["TSUIDE_MINED_MIN_LIFT"],
                                      config["TSUIDE_MINED_MIN_ORDERS"])

    def _context(self, cart: Cart) -> PricingContext:
        """Everything a quote of ``cart`` needs, for one SQL query when the rule cache is warm."""
        state = self._state()
        looked_up: dict[int, tuple[dict[str, Product], list[Rule], dict[str, list[str]]]] = {}

        def capped_rules(snapshot: Snapshot) -> list[str]:
            looked_up[snapshot.version] = self._catalogue(cart, snapshot, state.adapter)
            return [rule.id for rule in looked_up[snapshot.version][1] if rule.global_cap is not None]

        snapshot, usage = state.store.current(state.db.session, cart.customer_id, capped_rules)
        products, touching, companions = looked_up[snapshot.version]
        return PricingContext(cart, snapshot, usage, products, touching, companions)

    def setting(self, key: str, snapshot: Snapshot | None = None):
        """A ``TSUIDE_*`` setting as in force: saved in the admin, else the app's config."""
        if snapshot is None:
            state = self._state()
            snapshot, _ = state.store.current(state.db.session, None)
        name = _SETTING_NAMES.get(key)
        config = _config()
        return snapshot.settings.get(name, config[key]) if name else config[key]

    def exposure(self, snapshot: Snapshot | None = None) -> Exposure:
        """This shopper's place in the A/B tests and the holdout (worked out once per request)."""
        if not request:
            return NOBODY
        return self._exposed(snapshot)[0]

    def _exposed(self, snapshot: Snapshot | None) -> tuple[Exposure, CartCopy]:
        """This shopper's exposure, and the copy guard it was checked with, which prices this request's quotes too
        (its moment, the request's, is theirs): both worked out once per request and rule version.

        The exposure itself (the holdout draw and one HMAC per test) is the same for every request of one visitor
        under one snapshot, salt and holdout share: the snapshot keeps it (bounded, see ``Snapshot.exposures``).
        Its check against untrue urgency reads the moment, so it is made again on every request, unless no button
        of the visitor's variants claims urgency at all (then the check cannot change anything at any moment).
        """
        request_g = g._get_current_object()
        cached = request_g.get("tsuide_exposure")
        if cached is not None and (snapshot is None or cached[0] == snapshot.version):
            return cached[1], cached[2]  # worked out already in this request: no query
        if snapshot is None:
            state = self._state()
            snapshot, _ = state.store.current(state.db.session, None)
        visitor = _panels.visitor_id()
        holdout = self.setting("TSUIDE_HOLDOUT_PERCENT", snapshot)
        salt = assignment_salt()
        found, checked = snapshot.exposures.get(
            (visitor, salt, holdout), lambda: _exposure_entry(visitor, snapshot.tests, holdout, salt)
        )
        # The guard reads only which variant of each rule is chosen (its rules by id), which checking the
        # variants' buttons below leaves as it is: the same guard serves the checked exposure.
        copy = self._cart_copy(snapshot, found, datetime.now(timezone.utc))
        if not checked:
            found = copy.exposure(found)
        request_g.tsuide_exposure = (snapshot.version, found, copy)
        return found, copy

    def _cart_copy(self, snapshot: Snapshot, exposure: Exposure, now: datetime) -> CartCopy:
        """The guard that keeps untrue urgency in cart rules' copy from this shopper (see honest_copy)."""
        config = _config()
        currency = config["TSUIDE_CURRENCY"]
        return CartCopy(snapshot.views_for(exposure.chosen)[1], snapshot.rulebook.shipping_for(currency), now,
                        config["TSUIDE_URGENCY_MAX_DAYS"], self.locale() if request else None, currency,
                        self._report_once)

    def _report_once(self, key: str, message: str) -> None:
        """Tell the shop once per worker (a warning in the log), not once per page view."""
        reported = self._state().logged_failures
        if key not in reported:
            reported.add(key)
            log.warning("%s", message)

    def in_holdout(self) -> bool:
        """Whether this shopper is in the holdout that sees no offers (the analytics' baseline).

        ``False`` if the plugin cannot tell (the failure is logged once): a page may call it safely.
        """
        try:
            return self.exposure().holdout
        except Exception as error:  # never break the shop's page
            _panels.log_failure(self, "holdout check", error)
            return False

    def _price(self, context: PricingContext, now: datetime | None, with_offers: bool = True,
               exposure: Exposure | None = None, max_offers: int | None = None) -> Quote:
        config = _config()
        copy = None
        if exposure is None and request:
            exposure, copy = self._exposed(context.snapshot)
            now = now or copy.now
            if copy.now != now:  # priced for another moment (a preview, a test): a guard for that moment
                copy = None
        exposure = exposure or NOBODY
        now = now or datetime.now(timezone.utc)
        quote = quote_cart(
            context.cart,
            context.snapshot.rulebook_for(exposure.chosen),
            context.products,
            now=now,
            currency=config["TSUIDE_CURRENCY"],
            customer_used=context.usage.customer_used,
            redeemed=context.usage.redeemed,
            locale=self.locale() if request else None,
            max_offers=self.setting("TSUIDE_MAX_CART_OFFERS", context.snapshot) if max_offers is None else max_offers,
            max_gap_fillers=self.setting("TSUIDE_MAX_GAP_FILLERS", context.snapshot),
            companions=context.companions,
            with_offers=with_offers and not exposure.holdout,
            margin_floor_bp=_margin_floor_bp(config["TSUIDE_MARGIN_FLOOR_PERCENT"]),
            max_added_ratio_bp=_ratio_bp(config["TSUIDE_CART_OFFER_MAX_RATIO"]),
        )
        return (copy or self._cart_copy(context.snapshot, exposure, now)).quote(quote)

    def quote(
        self, cart: Cart | None = None, *, now: datetime | None = None, with_offers: bool = True, safe: bool = False
    ) -> Quote:
        """Price ``cart`` (by default the shopper's) with the rules live now.

        The checkout charges ``quote.total``; the cart panel and the widget show
        this same quote. A warm call makes one SQL query.

        With ``safe=True`` (for pages, never for the checkout) a failure inside
        the plugin is logged once and the cart comes back at its own prices,
        with ``quote.degraded`` set, so the page still renders.
        """
        if not safe:
            cart = cart if cart is not None else self._adapter.current_cart()
            return self._price(self._context(cart), now, with_offers)
        try:
            if cart is None:
                cart = self._adapter.current_cart()
            return self.quote(cart, now=now, with_offers=with_offers)
        except Exception as error:  # never break the shop's page
            _panels.log_failure(self, "quote", error)
            plain = quote_cart(
                cart if cart is not None else Cart(),
                RuleBook(), {}, now=now or datetime.now(timezone.utc),
                currency=current_app.config["TSUIDE_CURRENCY"], with_offers=False,
            )
            return replace(plain, degraded=True)

    def _quote_as_saved(self, cart: Cart, rule: Rule, now: datetime | None = None) -> Quote:
        """Price ``cart`` as the shop would with ``rule`` saved (replacing the rule of its id) next to the live
        rules: the same catalogue look-up, caps, shipping and margin floor as :meth:`quote`, for the admin's
        preview. No A/B variant and no holdout: the owner sees the offer as most shoppers do.
        """
        state = self._state()
        edited: dict[int, Snapshot] = {}

        def with_rule(snapshot: Snapshot) -> Snapshot:
            if snapshot.version not in edited:
                rules = tuple(r for r in snapshot.rulebook.rules if r.id != rule.id) + (rule,)
                edited[snapshot.version] = replace(snapshot, rulebook=RuleBook(rules),
                                                   by_id={**snapshot.by_id, rule.id: rule})
            return edited[snapshot.version]

        def capped_rules(snapshot: Snapshot) -> list[str]:
            return [r.id for r in with_rule(snapshot).rulebook.rules if r.global_cap is not None]

        snapshot, usage = state.store.current(state.db.session, cart.customer_id, capped_rules)
        snapshot = with_rule(snapshot)
        products, touching, companions = self._catalogue(cart, snapshot)
        context = PricingContext(cart, snapshot, usage, products, touching, companions)
        return self._price(context, now, exposure=NOBODY)

    def redeem(self, order_id: str, quote: Quote, customer_id: str | None = None) -> None:
        """Count the capped rules ``quote`` used for order ``order_id``, in the caller's transaction.

        Call it in the checkout before committing the order. In the shopper's
        request it also records the order for the analytics: its total, and
        the offers this shopper added to the cart on the way. That happens in
        a savepoint: if the events cannot be written, the failure is logged
        once and the order and its caps still commit. Raises
        :class:`~plugin.CapReached` when a "first N" or per-customer cap ran out
        since the quote: roll back, quote again and show the shopper the new total.
        """
        state = self._state()
        snapshot, _ = state.store.current(state.db.session, customer_id)
        redeem(state.db.session, snapshot, order_id, quote, customer_id)
        if request:
            holdout = self.exposure(snapshot).holdout
            if not holdout:  # the holdout saw no bar: its spend discounts and gifts were never offered to it
                record_order_rewards(state.db.session, _panels.visitor_id(), snapshot, quote)
            record_order(state.db.session, _panels.visitor_id(), str(order_id), quote.total, holdout)

    def record_subscription(self, order_id: str, plan) -> None:
        """Record a 定期 the shopper bought at the checkout (not through a thank-you offer), in the caller's
        transaction, for the analytics: subscriptions started and their value over the minimum commitment
        (``plan.commitment_total``), for the offers' visitors and the holdout alike. Call it once per
        subscription, with the order, in the shopper's request. The order's thank-you page then offers no switch
        to 定期. Like ``redeem``'s order event, a failure to write it is logged and never stops the order.
        """
        if not request:
            return
        state = self._state()
        snapshot, _ = state.store.current(state.db.session, None)
        _record_subscription(state.db.session, _panels.visitor_id(), str(order_id), int(plan.commitment_total),
                             self.exposure(snapshot).holdout)

    # -- page helpers (Jinja global ``tsuide``) ------------------------------------------------------

    def cart_panel(self, quote: Quote | None = None) -> Markup:
        """Server-rendered offers and free-shipping bar for the current cart; works without JavaScript.

        Pass the page's own ``quote`` (with offers) to price the cart once per page.
        If anything fails inside the plugin, the panel renders empty and the error is logged once.
        """
        return _panels.cart_panel(self, quote)

    def product_panel(self, product_id: str) -> Markup:
        """The sets, volume tier and companions of a product, priced for the current cart; works without
        JavaScript. Empty for an unknown product, for the holdout, or (logged) when the plugin fails."""
        return _panels.product_panel(self, str(product_id))

    def thank_you_panel(self, order_id: str) -> Markup:
        """The one-click offer for the order just placed (or nothing); works without JavaScript."""
        return _panels.thank_you_panel(self, str(order_id))

    def email_offer_html(self, order_id: str) -> Markup:
        """A self-contained HTML block (inline styles, absolute links) for the confirmation e-mail.

        Empty when the order has no open offer. Links to ``TSUIDE_THANK_YOU_ENDPOINT``.
        """
        return _panels.email_offer(self, str(order_id))

    def renewal_offers(self, subscription):
        """The add-ons for a subscription's next delivery (:class:`plugin.Subscription`), priced for it by the
        engine: a :class:`~plugin.storefront.renewals.Renewal` whose ``offers`` each carry a signed ``token``."""
        return _renewals.renewal_offers(self, subscription)

    def renewal_panel(self, subscription) -> Markup:
        """The "次回のお届け" page's add-ons, server-rendered forms that work without JavaScript."""
        return _panels.renewal_panel(self, subscription)

    def renewal_email_html(self, subscription) -> Markup:
        """A self-contained HTML block for the delivery notice e-mail: each add-on with a signed link."""
        return _panels.renewal_email(self, subscription)

    def widget_script(self) -> Markup:
        """The ``<script defer>`` tag that loads ``widget.js``, which enhances the panels in place."""
        return _panels.widget_script(self)

    def stylesheet(self) -> Markup:
        """A ``<link>`` to the panels' default styles; leave it out to style them yourself."""
        return _panels.stylesheet(self)

    def gettext(self, message: str, **values: object) -> str:
        """``message`` in the shopper's language (the plugin's own copy)."""
        return i18n.gettext(message, self.locale(), **values)
