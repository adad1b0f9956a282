"""The page helpers: server-rendered panels that work without JavaScript and never break the page."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import NamedTuple
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app, request, url_for
from markupsafe import Markup, escape

from ..engine.values import Offer, Product, Quote
from .assets import asset_url
from .button_labels import offer_button_label
from .csrf import csrf_token as generate_csrf_token
from .email_links import PARAMETER, link_token, opened_from_email
from .beacons import beacon_token, cart_offer_ids, thank_you_offer_ids
from .i18n import countdown, format_percent, translator as i18n_translator
from .ladder import ladder_text
from .plan_copy import cycle_text, day_text, plan_terms
from .product_page import ProductPage, product_page
from .renewals import renewal_offers
from .safe_urls import link_url
from .thank_you import step_for
from .visitor import visitor_id


log = logging.getLogger("tsuide")


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


def render_template(name: str, **context) -> str:
    """One of the plugin's templates with what the plugin passes it (and Jinja's globals: ``url_for``...).

    Unlike Flask's ``render_template`` it does not run the shop's context processors: the panels need none
    of the shop's page variables, and a shop's processor (a cart count, a query) would run on every panel
    and every JSON answer of the plugin.
    """
    return current_app._get_current_object().jinja_env.get_or_select_template(name).render(context)


def _form_fields(csrf_token: str, next_url: str) -> Markup:
    """The hidden fields every no-JavaScript form of a panel carries: the CSRF token and the page to come back to
    (escaped here, by concatenation: ``Markup.format`` costs more than the rest of the fields' work)."""
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
                  f'<input type="hidden" name="next" value="{escape(next_url)}">')


def _local_next() -> str:
    """Where a no-JavaScript form should come back to: this page."""
    return request._get_current_object().full_path.rstrip("?") if request else "/"


class OfferCard(NamedTuple):
    """The words and links of one offer's card in the cart panel, each worked out once (the template only places
    them): every word from the offer, that is from the quote of the cart it makes."""

    offer: Offer
    #: (product, units the click adds, its link or "#", its image or ``None``), in the order the click adds them
    products: tuple[tuple[Product, int, str, str | None], ...]
    hint: str  #: what the click does: "あと1点で1点無料", "セットにするとお得"...
    limit: str | None  #: "Up to 2 per order" for an offer with a per-order limit
    saving: str | None  #: "Save ¥800", or ``None`` when it saves nothing
    total: str  #: "New total ¥5,200"
    button: str  #: what the button says (see button_labels)


def _hint(offer: Offer, translate: Callable[..., str], money: Callable[[int], str]) -> str:
    kind = offer.kind
    if kind == "reach_tier":
        return translate("Add %(count)s more for %(percent)s off", count=offer.add_quantity,
                         percent=format_percent(offer.tier.percent_bp))
    if kind == "buy_get":  # the units the click adds and what one more group gets, the rule's own terms
        get, mode, value = offer.gets
        if mode == "percent_off" and value >= 10_000:
            return translate("Add %(count)s more: %(get)s free", count=offer.add_quantity, get=get)
        if mode == "percent_off":
            return translate("Add %(count)s more: %(get)s at %(percent)s off", count=offer.add_quantity, get=get,
                             percent=format_percent(value))
        return translate("Add %(count)s more: %(amount)s off %(get)s", count=offer.add_quantity, get=get,
                         amount=money(value))
    if kind == "bought_together":
        return translate("Often bought together")
    if kind == "free_gift":
        return translate("You've earned a free gift")
    if kind == "gift_trigger":  # the product the click adds earns the gift
        return translate("Add %(name)s to get a free gift", name=offer.products[0].name)
    return translate("Complete the set")


def offer_cards(offers: Sequence[Offer], custom_button: Callable[[Offer], str | None], translate: Callable[..., str],
                money: Callable[[int], str]) -> list[OfferCard]:
    """The cart panel's offer cards: ``custom_button(offer)`` is the visitor's A/B variant's button text, if any."""
    return [
        OfferCard(
            offer,
            tuple((product, line.quantity, link_url(product.url) or "#", link_url(product.image_url))
                  for product, line in zip(offer.products, offer.add)),
            _hint(offer, translate, money),
            translate("Up to %(count)s per order", count=offer.max_units) if offer.max_units else None,
            translate("Save %(amount)s", amount=money(offer.saving)) if offer.saving else None,
            translate("New total %(amount)s", amount=money(offer.new_total)),
            offer_button_label(offer, custom_button(offer), translate),
        )
        for offer in offers
    ]


class ShippingBar(NamedTuple):
    """The cart panel's bar, its words and numbers worked out once (the template only places them)."""

    text: str  #: "送料無料まであと¥800", or the ladder of rewards ahead, nearest first
    reached: bool  #: free shipping unlocked
    unlocked: tuple[str, ...]  #: "Unlocked: …", one per reward unlocked at the threshold
    label: str  #: the progress bar's accessible name
    threshold: int
    now: int  #: ``aria-valuenow``: what counts toward the threshold, at most the threshold
    width: str  #: the fill's width in percent, one decimal ("62.5")


def shipping_bar(quote: Quote, ladder: str | None, translate: Callable[..., str],
                 money: Callable[[int], str]) -> ShippingBar | None:
    """The bar's words: with free shipping reached, that and the ladder (or shipping's next reward); else the ladder,
    or what is left for free shipping after a reduced fee on the way. ``None`` without a shipping threshold."""
    progress = quote.free_shipping
    if progress is None:
        return None
    if progress.reached:
        text = translate("You've unlocked free shipping")
        if ladder:
            text = f"{text} · {ladder}"
        elif progress.next_reward:
            text = f"{text} · " + translate("%(amount)s more for %(reward)s",
                                            amount=money(progress.next_reward_remaining),
                                            reward=progress.next_reward.label)
    elif ladder:
        text = ladder
    else:
        text = translate("%(amount)s more for free shipping", amount=money(progress.remaining))
        if progress.next_step:  # a reduced fee on the way comes first: the ladder reads from the nearest step
            text = translate("%(amount)s more for shipping at %(fee)s", amount=money(progress.next_step_remaining),
                             fee=money(progress.next_step.fee)) + " · " + text
    return ShippingBar(
        text,
        progress.reached,
        tuple(translate("Unlocked: %(reward)s", reward=reward.label) for reward in progress.rewards_unlocked),
        translate("Progress toward free shipping"),
        progress.threshold,
        min(progress.counted, progress.threshold),
        str(round(progress.fraction * 100, 1)),
    )


class GapRow(NamedTuple):
    """One product under the bar that closes the gap to free shipping, its words and links worked out once."""

    product: Product
    href: str  #: its link, or "#"
    image_url: str | None
    price: str  #: "¥800"
    note: str  #: "Adds free shipping", or what is still to go after it


def gap_rows(quote: Quote, translate: Callable[..., str], money: Callable[[int], str]) -> list[GapRow]:
    return [
        GapRow(filler.product, link_url(filler.product.url) or "#", link_url(filler.product.image_url),
               money(filler.product.price),
               translate("Adds free shipping") if filler.reaches_free_shipping
               else translate("%(amount)s still to go", amount=money(filler.remaining_after)))
        for filler in quote.gap_fillers
    ]


def _hidden_offers(offer_ids: Sequence[str]) -> Markup:
    """The rewards the bar names, as hidden marks the widget counts as seen (no box on the page)."""
    return Markup("".join(f'<span hidden data-tsuide-offer="{escape(offer_id)}"></span>' for offer_id in offer_ids))


#: The path the panels' forms post to, per app and script root (where the app is mounted): ``url_for`` once,
#: not once per panel.
_ADD_URLS: WeakKeyDictionary = WeakKeyDictionary()


def _add_url() -> str:
    by_root = _ADD_URLS.setdefault(current_app._get_current_object(), {})
    root = request._get_current_object().script_root if request else None
    found = by_root.get(root)
    if found is None:
        found = by_root[root] = url_for("tsuide.add_to_cart")
    return found


def render_cart_panel(tsuide: Tsuide, quote: Quote, money: Callable[[int], str] | None = None,
                      beacon: str | None = None) -> str:
    """The cart panel's HTML for ``quote``; ``money`` (the shopper's formatter) and ``beacon`` (the token of the
    quote's offers) when the caller has them already."""
    exposure = tsuide.exposure()
    locale = tsuide.locale()
    translate = i18n_translator(locale)
    money = money or tsuide._money()
    ladder, ladder_offers = ladder_text(quote, money, format_percent, translate)
    csrf_token = generate_csrf_token()
    return render_template(
        "tsuide/cart_panel.html",
        quote=quote,
        ladder=ladder,
        ladder_offers=ladder_offers,
        # The bar's words, the gap fillers' and the cards' are worked out here, once; the template only places them
        # (a shop's own copy of the template may still use ``quote``, ``_`` and ``money`` as before).
        bar=shipping_bar(quote, ladder, translate, money),
        ladder_marks=_hidden_offers(ladder_offers),
        gaps=gap_rows(quote, translate, money) if quote.free_shipping else (),
        holdout=exposure.holdout,
        cards=offer_cards(quote.offers, lambda offer: exposure.button_for(offer.rule_id, locale), translate, money),
        _=translate,
        money=money,
        csrf_token=csrf_token,
        add_url=_add_url(),
        # Every form's two hidden fields, escaped once for the panel (not once per form, as a macro did).
        form_fields=_form_fields(csrf_token, _local_next()),
        beacon_token=beacon or beacon_token(cart_offer_ids(quote)),
    )


def cart_panel(tsuide: Tsuide, quote: Quote | None) -> Markup:
    def render() -> str:
        if quote is not None and quote.degraded:
            return ""  # the plugin already failed for this page; the shop shows its own prices
        return render_cart_panel(tsuide, quote if quote is not None else tsuide.quote())

    return safely(tsuide, "cart panel", render)


def render_product_panel(tsuide: Tsuide, page: ProductPage) -> str:
    return render_template(
        "tsuide/product_panel.html",
        page=page,
        holdout=page.holdout,
        _=tsuide._translator(),
        money=tsuide._money(),
        percent=format_percent,
        csrf_token=generate_csrf_token(),
        add_url=url_for("tsuide.add_to_cart"),
        offers_url=url_for("tsuide.product_offers_api", product_id=page.product.id),
        next_url=_local_next(),
        beacon_token=beacon_token(page.offer_ids),
    )


def product_panel(tsuide: Tsuide, product_id: str) -> Markup:
    def render() -> str:
        page = product_page(tsuide, product_id)
        return "" if page is None else render_product_panel(tsuide, page)

    return safely(tsuide, "product panel", render)


def widget_script(tsuide: Tsuide) -> Markup:
    def render() -> str:
        return str(
            Markup('<script src="{}" defer data-tsuide-api="{}" data-tsuide-events="{}"></script>').format(
                asset_url("widget.js"), url_for("tsuide.cart_api"), url_for("tsuide.events")
            )
        )

    return safely(tsuide, "widget script", render)


def stylesheet(tsuide: Tsuide) -> Markup:
    def render() -> str:
        return str(Markup('<link rel="stylesheet" href="{}">').format(asset_url("tsuide.css")))

    return safely(tsuide, "stylesheet", render)


def _label(pairs: tuple[tuple[str, str], ...], default: str, locale: str) -> str:
    """A shop's own button label in the shopper's language, else Tsuide's soft default."""
    return dict(pairs).get(locale) or default


def render_thank_you(tsuide: Tsuide, step) -> str:
    if step.state not in ("offer", "processing", "accepted"):
        return ""  # nothing to offer, or the offer's time is up: the panel disappears
    locale = tsuide.locale()
    translate = tsuide._translator()
    replaced = {line.product_id for line in step.amendment.remove} if step.amendment else set()
    names = {pid: product.name for pid, product in tsuide._adapter.products(replaced).items()} if replaced else {}
    return render_template(
        "tsuide/thank_you_panel.html",
        step=step,
        **plan_context(tsuide, step.amendment.plan if step.amendment else None, locale),
        locale=locale,
        _=translate,
        money=tsuide._money(),
        countdown=lambda seconds: countdown(seconds, translate),
        label=lambda pairs, default: _label(pairs, default, locale),
        replaced_names=names,
        csrf_token=generate_csrf_token(),
        idempotency_key=secrets.token_urlsafe(18),
        seconds_left=step.seconds_left(datetime.now(timezone.utc)),
        next_url=_local_next(),
        beacon_token=beacon_token(thank_you_offer_ids(step), step.order.id),
    )


def plan_context(tsuide: Tsuide, plan, locale: str) -> dict:
    """What a template needs to word a 定期 plan: ``terms`` (its rows) and helpers for the accepted message."""
    terms = None
    if plan is not None:
        names = {product.id: product.name for product in plan_products(tsuide, plan)}
        terms = plan_terms(plan, names, locale, tsuide.gettext, tsuide.format_money)
    return {"terms": terms, "cycle": lambda plan: cycle_text(plan.every, plan.unit, tsuide.gettext),
            "day": lambda value: day_text(value, locale)}


def plan_products(tsuide: Tsuide, plan) -> list:
    found = tsuide._adapter.products([line.product_id for line in plan.lines])
    return [found[line.product_id] for line in plan.lines if line.product_id in found]


def thank_you_panel(tsuide: Tsuide, order_id: str) -> Markup:
    def render() -> str:
        if opened_from_email(order_id, datetime.now(timezone.utc)) == "ended":  # the e-mail's link, too late
            return render_template("tsuide/offer_ended.html", _=tsuide._translator())
        return render_thank_you(tsuide, step_for(tsuide, order_id))

    return safely(tsuide, "thank-you panel", render)


def email_offer(tsuide: Tsuide, order_id: str) -> Markup:
    def render() -> str:
        step = step_for(tsuide, order_id, email=True)
        if step.state != "offer":
            return ""
        endpoint = current_app.config["TSUIDE_THANK_YOU_ENDPOINT"]
        if not endpoint:
            raise RuntimeError("set TSUIDE_THANK_YOU_ENDPOINT to the thank-you page's endpoint for e-mail links")
        locale = tsuide.locale()
        until = format_datetime(
            step.ends_at, "short", tzinfo=ZoneInfo(current_app.config["TSUIDE_TIMEZONE"]), locale=locale
        )
        return render_template(
            "tsuide/email_offer.html",
            step=step,
            **plan_context(tsuide, None, locale),
            locale=locale,
            _=tsuide._translator(),
            money=tsuide._money(),
            until=until,
            link=url_for(endpoint, order_id=order_id, _external=True, **{PARAMETER: link_token(step.order)}),
        )

    return safely(tsuide, "e-mail offer", render)


def renewal_panel(tsuide: Tsuide, subscription) -> Markup:
    def render() -> str:
        renewal = renewal_offers(tsuide, subscription)
        if not renewal.enabled:
            return ""
        return render_template(
            "tsuide/renewal_panel.html", renewal=renewal, _=tsuide.gettext, money=tsuide.format_money,
            csrf_token=generate_csrf_token(), next_url=_local_next(),
            day=day_text(subscription.next_delivery_on, tsuide.locale()),
            closes=day_text(renewal.closes_at.date() - timedelta(days=1), tsuide.locale()),
        )

    return safely(tsuide, "renewal panel", render)


def renewal_email(tsuide: Tsuide, subscription) -> Markup:
    def render() -> str:
        renewal = renewal_offers(tsuide, subscription)
        if not renewal.offers:
            return ""
        return render_template(
            "tsuide/renewal_email.html", renewal=renewal, _=tsuide.gettext, money=tsuide.format_money,
            link=lambda offer: url_for("tsuide.renewal_confirm", token=offer.token, _external=True),
            day=day_text(subscription.next_delivery_on, tsuide.locale()),
            closes=day_text(renewal.closes_at.date() - timedelta(days=1), tsuide.locale()),
        )

    return safely(tsuide, "renewal e-mail", render)
