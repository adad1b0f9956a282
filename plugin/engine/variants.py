"""A/B variants of an offer: what each one changes, and which one a visitor sees.

Pure values and functions (no Flask, no SQLAlchemy). A variant may change an
offer's copy (its label, in each language), its button label and its
discount (``pricing_value``, in the offer's own pricing mode); whatever it
leaves empty stays the offer's own, so a variant with nothing set is the
control. The engine prices the variant's rule, so the price a visitor sees
is the price they are charged.

What a variant may set depends on the kind (:func:`refusals`): a discount only where the offer has one
value to vary (a fixed bundle's and a buy X get Y's ``value``, a thank-you offer's); a button only where
the cart shows the offer with a button of the shop's words (not a spend discount, which has none, nor a
free gift, whose button always says what it adds). Everything else refused is named by field.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from .assignment import assign
from .rules import BuyXGetY, FixedBundle, FreeGift, RuleError, SpendDiscount, VolumeDiscount

#: A variant's name: short, shown in the admin and written to every event.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,31}$")
NAME_RULE = "1 to 32 letters, digits, spaces, _ or -."
#: Names events use for something else: a visitor in the holdout.
RESERVED = frozenset({"holdout"})

Offer = TypeVar("Offer")


@dataclass(frozen=True)
class VariantSpec:
    """One arm of a test. ``label`` and ``button_label`` are in the shop's default language, ``*_en`` in English."""

    name: str
    weight: int = 1
    label: str | None = None
    label_en: str | None = None
    button_label: str | None = None
    button_label_en: str | None = None
    pricing_value: int | None = None

    def button_for(self, locale: str | None) -> str | None:
        """The variant's own button text for a shopper, or ``None`` for the plugin's default."""
        if locale == "en":
            return self.button_label_en or self.button_label
        return self.button_label or self.button_label_en

    @classmethod
    def of(cls, row) -> VariantSpec:
        """The spec of a ``tsuide_variants`` row (an ORM object, or a plain row from a query)."""
        return cls(row.name, 1 if row.weight is None else row.weight, row.label, row.label_en, row.button_label,
                   row.button_label_en, row.pricing_value)

    @property
    def button_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((code, text) for code, text in (("ja", self.button_label), ("en", self.button_label_en)) if text)


#: Why a variant of each kind may not set its own discount (``pricing_value``).
NO_PRICE = {
    VolumeDiscount: "a volume discount's tiers are several discounts, not one a variant could change: test its "
                    "copy (leave the discount empty).",
    SpendDiscount: "a spend discount's steps are several discounts, not one a variant could change: test its "
                   "copy (leave the discount empty).",
    FreeGift: "a free gift has no discount to test (the gift is free): test its copy (leave the discount empty).",
}
#: Why a variant of each kind may not set a button label (the cart shows none of the shop's words there).
NO_BUTTON = {
    SpendDiscount: "a spend discount has no button in the cart (it applies by itself): leave the button empty.",
    FreeGift: "a free gift's button always says what it adds (\"Add your free gift\"): leave the button empty.",
}


def _kind_of(offer: object, table: Mapping[type, str]) -> str | None:
    return next((message for kind, message in table.items() if isinstance(offer, kind)), None)


def refusals(offer: object, spec: VariantSpec) -> dict[str, list[str]]:
    """What ``spec`` sets that a variant of ``offer`` may not, by the variant's field (``{}``: nothing)."""
    found: dict[str, list[str]] = {}
    if spec.pricing_value is not None and not can_price(offer):
        found["pricing_value"] = [_kind_of(offer, NO_PRICE) or
                                  "only bundles, buy X get Y and thank-you offers can test a different discount."]
    no_button = _kind_of(offer, NO_BUTTON)
    if no_button:
        for name in ("button_label", "button_label_en"):
            if getattr(spec, name):
                found[name] = [no_button]
    return found


def check_variants(specs: Sequence[VariantSpec], can_price: bool, offer: object = None) -> None:
    """Raise :class:`RuleError` (field ``variants``) naming everything wrong with a test's arms.

    With ``offer`` (the engine's rule or thank-you offer), what its kind refuses (:func:`refusals`) is named too.
    """
    messages = []
    if len(specs) == 1:
        messages.append("An A/B test needs at least two variants (or none).")
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        messages.append("Each variant needs its own name.")
    for spec in specs:
        if not NAME.match(spec.name or ""):
            messages.append(f"{spec.name!r}: a name is {NAME_RULE}")
        elif spec.name.lower() in RESERVED:
            messages.append(f"{spec.name!r} is reserved for the holdout: choose another name.")
        if not isinstance(spec.weight, int) or not 1 <= spec.weight <= 100:
            messages.append(f"{spec.name}: the weight is a whole number from 1 to 100.")
        refused = refusals(offer, spec) if offer is not None else {}
        if spec.pricing_value is not None and not can_price and "pricing_value" not in refused:
            messages.append(f"{spec.name}: only bundles, buy X get Y and thank-you offers can test a different "
                            "discount.")
        messages += [f"{spec.name}: {message}" for field_messages in refused.values() for message in field_messages]
    if messages:
        raise RuleError({"variants": messages})


def _with_copy(offer: Offer, spec: VariantSpec) -> Offer:
    """``offer`` with the variant's label (the default language first, then translations)."""
    if not spec.label and not spec.label_en:
        return offer
    translations = dict(offer.translations)
    if spec.label_en:
        translations["en"] = spec.label_en
    return replace(offer, label=spec.label or offer.label, translations=tuple(translations.items()))


def apply_variant(offer: Offer, spec: VariantSpec) -> Offer:
    """The offer (a rule or a thank-you offer) as this variant shows and prices it.

    A thank-you offer takes the variant's button label as its accept label; a
    cart panel reads :meth:`VariantSpec.button_for` itself.

    Raises :class:`RuleError` when the result is not a valid offer (say, a
    discount above 100%), with the variant's name in the message.
    """
    try:
        refused = refusals(offer, spec)
        if refused:
            raise RuleError({"variants": [message for messages in refused.values() for message in messages]})
        changed = _with_copy(offer, spec)
        if spec.pricing_value is not None:  # (a kind with no value to vary was refused above)
            changed = replace(changed, value=spec.pricing_value)
        if spec.button_pairs and hasattr(changed, "accept_label"):
            changed = replace(changed, accept_label=spec.button_pairs)
        return changed
    except RuleError as error:
        messages = [f"{spec.name}: {message}" for field_messages in error.errors.values() for message in field_messages]
        raise RuleError({"variants": messages}) from None


def can_price(offer: object) -> bool:
    """Whether a variant of ``offer`` may set its own discount: the kinds with one ``value`` to vary."""
    return isinstance(offer, (FixedBundle, BuyXGetY)) or (hasattr(offer, "accept_label") and hasattr(offer, "value"))


def choose(visitor_id: str, offer_id: str, specs: Sequence[VariantSpec], *, salt: str) -> VariantSpec | None:
    """The variant ``visitor_id`` sees of ``offer_id``: stable across requests and workers.

    ``salt`` is the shop's secret assignment salt. The shop-wide holdout is
    decided before this (see :func:`plugin.engine.assignment.in_holdout`), so
    here every visitor gets a variant.
    """
    if not specs:
        return None
    name = assign(visitor_id, f"offer:{offer_id}", [(spec.name, spec.weight) for spec in specs], holdout_bp=0,
                  salt=salt)
    return next(spec for spec in specs if spec.name == name)


def assignments(visitor_id: str, tests: Mapping[str, Sequence[VariantSpec]], *, salt: str) -> dict[str, VariantSpec]:
    """The variant of every offer under test, for one visitor."""
    return {offer_id: choose(visitor_id, offer_id, specs, salt=salt) for offer_id, specs in tests.items() if specs}
