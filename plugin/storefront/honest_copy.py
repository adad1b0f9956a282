"""Copy written from an offer's values, and merchant copy kept from shoppers when its urgency is untrue.

A label written from values says what the rule does ("3点で¥2,900" / "3 for ¥2,900", "2点以上で10%オフ",
"2点買うと1点無料", "¥5,000以上で送料無料"); the admin fills empty labels with it (:mod:`plugin.admin.copy`).

The guard: merchant copy (a rule's label, a reward's, an A/B variant's label or button, a thank-you
offer's name and buttons) that claims urgency (:func:`.urgency.claims_urgency`) on an offer whose end or
cap the server does not enforce (:func:`.urgency.is_enforced`) never reaches a shopper. It gives way to
the label written from the values (a thank-you offer's name: its products; a reward: "特典"; a button:
the generated one), and the shop is told once, in the log, which offer and words. Every panel, the JSON
API and the e-mail block read their copy through here, so the guarantee does not rest on the admin having
refused the copy on save.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from ..engine.post_purchase import PostPurchaseOffer
from ..engine.rules import BuyXGetY, FixedBundle, PricingMode, Reward, Rule, ShippingThreshold, VolumeDiscount
from ..engine.values import Quote
from .exposure import Exposure
from .i18n import format_money, format_percent, gettext
from .urgency import claims_urgency, is_enforced

log = logging.getLogger("tsuide")

#: Called with (a key to report once by, the message) when untrue copy is held back.
Report = Callable[[str, str], None]


# -- copy from values ------------------------------------------------------------------------------------

def money_in_copy(amount: int, currency: str) -> str:
    """Halfwidth "¥" in both languages, as Japanese shops write it in copy."""
    return f"¥{amount:,}" if currency == "JPY" else format_money(amount, currency, "en")


def bundle_label(count: int, mode: str, value: int, locale: str | None, currency: str) -> str:
    """"3点で¥2,900" / "3 for ¥2,900", "3点で¥500引き", "3点で10%オフ"."""
    ja = locale != "en"
    if mode == "fixed_price":
        return f"{count}点で{money_in_copy(value, currency)}" if ja else f"{count} for {money_in_copy(value, currency)}"
    if mode == "amount_off":
        return f"{count}点で{money_in_copy(value, currency)}引き" if ja else f"{money_in_copy(value, currency)} off {count}"
    percent = format_percent(value)
    return f"{count}点で{percent}オフ" if ja else f"{percent} off {count}"


def tiers_label(tiers: Iterable[tuple[int, int]], locale: str | None) -> str:
    """(minimum quantity, basis points) steps: "2点以上で10%オフ、3点以上で20%オフ" / "10% off 2 or more, ..."."""
    ordered = sorted(tiers)
    if locale != "en":
        return "、".join(f"{quantity}点以上で{format_percent(bp)}オフ" for quantity, bp in ordered)
    return ", ".join(f"{format_percent(bp)} off {quantity} or more" for quantity, bp in ordered)


def buy_get_label(buy: int, get: int, mode: str, value: int, locale: str | None, currency: str) -> str:
    """"2点買うと1点無料" / "Buy 2, get 1 free", "2点買うと1点50%オフ", "1点買うと1点¥300引き"."""
    ja = locale != "en"
    if mode == "percent_off" and value >= 10_000:
        return f"{buy}点買うと{get}点無料" if ja else f"Buy {buy}, get {get} free"
    off = format_percent(value) if mode == "percent_off" else money_in_copy(value, currency)
    if ja:
        return f"{buy}点買うと{get}点{off}{'オフ' if mode == 'percent_off' else '引き'}"
    return f"Buy {buy}, get {get} at {off} off" if mode == "percent_off" else f"Buy {buy}, get {off} off {get}"


def shipping_label(threshold: int, currency: str, locale: str | None) -> str:
    amount = money_in_copy(threshold, currency)
    return f"{amount}以上で送料無料" if locale != "en" else f"Free shipping from {amount}"


def rule_label(rule: Rule, locale: str | None, currency: str) -> str:
    """What ``rule`` does, in words written from its values."""
    if isinstance(rule, FixedBundle):
        mode = rule.mode.value if isinstance(rule.mode, PricingMode) else str(rule.mode)
        return bundle_label(sum(item.quantity for item in rule.items), mode, rule.value, locale, currency)
    if isinstance(rule, VolumeDiscount):
        return tiers_label(((tier.min_quantity, tier.percent_bp) for tier in rule.tiers), locale)
    if isinstance(rule, BuyXGetY):
        mode = rule.mode.value if isinstance(rule.mode, PricingMode) else str(rule.mode)
        return buy_get_label(rule.buy_quantity, rule.get_quantity, mode, rule.value, locale, currency)
    if isinstance(rule, ShippingThreshold):
        return shipping_label(rule.threshold, rule.currency, locale)
    return rule.label_for(locale)  # pragma: no cover - every kind is above


# -- the guard ---------------------------------------------------------------------------------------------

def _enforces(offer, now: datetime, max_days: int) -> bool:
    return is_enforced(now, max_days, ends_at=offer.ends_at, global_cap=offer.global_cap, starts_at=offer.starts_at)


def _held_back(report: Report, what: str, offer_id: str, text: str) -> None:
    report(f"urgency:{what}:{offer_id}:{text}",
           f"tsuide: the {what} {text!r} of offer {offer_id} claims urgency, but the offer has no end within "
           f"TSUIDE_URGENCY_MAX_DAYS and no limit in total: shoppers get copy written from its values instead")


class CartCopy:
    """The guard for one request's cart rules: ``rules`` by id, the moment and the shop's window."""

    def __init__(self, rules: Mapping[str, Rule], shipping: Sequence[ShippingThreshold], now: datetime,
                 max_days: int, locale: str | None, currency: str, report: Report):
        self.rules, self.shipping, self.now, self.max_days = rules, shipping, now, max_days
        self.locale, self.currency, self.report = locale, currency, report

    def label(self, rule_id: str, text: str) -> str:
        """``text``, the label shown for rule ``rule_id``, unless it claims urgency the rule does not keep."""
        if not claims_urgency(text):
            return text
        rule = self.rules.get(rule_id)
        if rule is not None and _enforces(rule, self.now, self.max_days):
            return text
        _held_back(self.report, "label", rule_id, text)
        return rule_label(rule, self.locale, self.currency) if rule is not None else ""

    def button(self, rule_id: str, text: str | None) -> str | None:
        """A variant's own button text, or ``None`` (the generated label) when it claims untrue urgency."""
        if not claims_urgency(text):
            return text
        rule = self.rules.get(rule_id)
        if rule is not None and _enforces(rule, self.now, self.max_days):
            return text
        _held_back(self.report, "button label", rule_id, text)
        return None

    def _reward(self, reward: Reward, threshold: int) -> Reward:
        if not claims_urgency(reward.label):
            return reward
        owners = [rule for rule in self.shipping if rule.threshold == threshold
                  and any(own.threshold == reward.threshold for own in rule.rewards)]
        if owners and all(_enforces(rule, self.now, self.max_days) for rule in owners):
            return reward
        _held_back(self.report, "reward", ",".join(rule.id for rule in owners) or "?", reward.label)
        return replace(reward, label=gettext("a reward", self.locale), translations=())

    def quote(self, quote: Quote) -> Quote:
        """``quote`` with every label a shopper may read checked; the same object when nothing changes."""
        discounts = tuple(
            d if (label := self.label(d.rule_id, d.label)) == d.label else replace(d, label=label)
            for d in quote.discounts
        )
        offers = tuple(
            o if o.kind == "bought_together" or (label := self.label(o.rule_id, o.label)) == o.label
            else replace(o, label=label)
            for o in quote.offers
        )
        progress = quote.free_shipping
        if progress is not None and (progress.rewards_unlocked or progress.next_reward is not None):
            unlocked = tuple(self._reward(reward, progress.threshold) for reward in progress.rewards_unlocked)
            upcoming = progress.next_reward and self._reward(progress.next_reward, progress.threshold)
            if unlocked != progress.rewards_unlocked or upcoming is not progress.next_reward:
                progress = replace(progress, rewards_unlocked=unlocked, next_reward=upcoming)
        if (discounts, offers, progress) == (quote.discounts, quote.offers, quote.free_shipping):
            return quote
        return replace(quote, discounts=discounts, offers=offers, free_shipping=progress)

    def product_offers(self, offers: Sequence) -> tuple:
        """A product page's sets and tiers, their labels checked (companions are named by their products)."""
        return tuple(
            offer if offer.kind == "companions" or (label := self.label(offer.offer_id, offer.label)) == offer.label
            else replace(offer, label=label)
            for offer in offers
        )

    def exposure(self, exposure: Exposure) -> Exposure:
        """The visitor's variants with button texts that claim untrue urgency left out (labels: see ``quote``)."""
        chosen = dict(exposure.chosen)
        for rule_id, spec in exposure.chosen.items():
            if rule_id.startswith("pp:"):
                continue  # thank-you offers are checked with their own terms (post_purchase_offer)
            honest = {name: self.button(rule_id, getattr(spec, name)) for name in ("button_label", "button_label_en")}
            if any(honest[name] != getattr(spec, name) for name in honest):
                chosen[rule_id] = replace(spec, **honest)
        return exposure if chosen == exposure.chosen else replace(exposure, chosen=chosen)


def buttons_claim_urgency(exposure: Exposure) -> bool:
    """Whether any button text of the visitor's cart-rule variants claims urgency: only then may
    :meth:`CartCopy.exposure` change the exposure (whether it does depends on the moment)."""
    return any(claims_urgency(spec.button_label) or claims_urgency(spec.button_label_en)
               for rule_id, spec in exposure.chosen.items() if not rule_id.startswith("pp:"))


def post_purchase_offer(offer: PostPurchaseOffer, names: Mapping[str, str], now: datetime, max_days: int,
                        report: Report) -> PostPurchaseOffer:
    """A thank-you offer (as its A/B variant words it) whose untrue urgency copy gives way: its name to its
    products' names, its buttons to the plugin's own ("Add to my order", "No thanks"); its downsell too."""
    downsell = offer.downsell and post_purchase_offer(offer.downsell, names, now, max_days, report)
    changes: dict = {} if downsell is offer.downsell else {"downsell": downsell}
    if not _enforces(offer, now, max_days):
        texts = [offer.label, *(text for _, text in offer.translations)]
        if any(claims_urgency(text) for text in texts):
            _held_back(report, "label", f"pp:{offer.id}", next(text for text in texts if claims_urgency(text)))
            products = [names.get(item.product_id, item.product_id) for item in offer.items]
            changes.update(label="、".join(products), translations=(("en", ", ".join(products)),))
        for field in ("accept_label", "decline_label"):
            pairs = getattr(offer, field)
            kept = tuple((code, text) for code, text in pairs if not claims_urgency(text))
            if kept != pairs:
                _held_back(report, field.replace("_", " "), f"pp:{offer.id}",
                           next(text for _, text in pairs if claims_urgency(text)))
                changes[field] = kept
    return replace(offer, **changes) if changes else offer
