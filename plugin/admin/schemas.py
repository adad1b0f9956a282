"""marshmallow schemas for the admin API: every rule kind, thank-you offers and settings.

They check the shape of a request (every wrong field reported at once);
saving then runs the engine's own checks, whose errors name fields the same
way. Unknown fields are refused, so a typo never passes silently.

This is where odd values become a 400 naming the field, on every database
alike, for the JSON API and (through :mod:`.pages_forms`) the HTML forms:
text is :class:`Text` (no NUL, control character or lone surrogate), whole
numbers are :class:`Whole` (``1.5`` or ``Infinity`` is refused, never cut or
overflowed), percentages are :class:`Percent` (``12.5``, at most two
decimals, loaded as basis points) and times are :class:`When` (from
:data:`EARLIEST` to before :data:`LATEST`, whatever their offset).

Percent for people, basis points inside: a discount is sent and read in
percent (``discount_percent``, a tier's ``discount_percent``,
``margin_floor_percent``); amounts (``pricing_value`` of ``amount_off`` and
``fixed_price``) in the currency's minor unit. Loading turns them into the
columns' basis points; :func:`plugin.admin.records.public` turns a record back.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from ..engine.variants import NAME as VARIANT_NAME
from ..engine.variants import NAME_RULE as VARIANT_NAME_RULE
from ..storage.percent import NotAPercentage, as_decimal, percent_number, percent_to_bp
from ..storefront.schemas import Text

ID = validate.Length(min=1, max=64)
LABEL = validate.Length(min=1, max=200)
BUTTON = validate.Length(max=60)
PRICING_MODES = ("fixed_price", "percent_off", "amount_off")
MONEY = validate.Range(min=0, max=10**12)


#: Schedules run from here to before ``LATEST`` (in UTC): far enough for any offer, and never past what
#: a ``datetime`` can hold after its time zone is taken off.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
OUT_OF_RANGE = "Choose a time from 2000 to 2099."


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Whole(fields.Integer):
    """A JSON integer: ``1.5``, ``"5"`` or ``Infinity`` is refused, never cut to a whole number."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class Percent(fields.Number):
    """A percentage as people write it (``10``, ``12.5``), loaded as whole basis points (``1000``, ``1250``).

    A JSON number (or a :class:`~decimal.Decimal` from the admin's forms) from ``low`` to ``high``, above
    ``low`` when ``above_low``, with at most two decimals. Booleans, text, NaN and infinities are refused
    with a message that says what to send; nothing is rounded.
    """

    num_type = int  # what it loads: basis points

    def __init__(self, *, low: int = 0, high: int = 100, above_low: bool = False, **kwargs):
        self.low, self.high, self.above_low = Decimal(low), Decimal(high), above_low
        bounds = {"minimum": low, "maximum": high, **({"exclusiveMinimum": True} if above_low else {})}
        metadata = {**bounds, **kwargs.pop("metadata", {})}
        metadata["description"] = (metadata.get("description", "") + " In percent (10 means 10%), at most two "
                                   "decimals.").strip()
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, str):
            raise ValidationError("Send a number, like 10 or 12.5 (percent), not text.")
        try:
            number = as_decimal(value)
            basis_points = percent_to_bp(number)
        except NotAPercentage as error:
            raise ValidationError(str(error)) from None
        if self.above_low and number <= self.low:
            raise ValidationError(f"Must be greater than {self.low} and less than or equal to {self.high}.")
        if not self.low <= number <= self.high:
            raise ValidationError(f"Must be greater than or equal to {self.low} and less than or equal to "
                                  f"{self.high}.")
        return basis_points

    def _serialize(self, value, attr, obj, **kwargs):
        return percent_number(value)


class When(fields.AwareDateTime):
    """An ISO time with its offset (UTC if none), from :data:`EARLIEST` to before :data:`LATEST`."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, default_timezone=timezone.utc, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_utc = moment.astimezone(timezone.utc)
        except OverflowError:  # year 1 at +14:00, year 9999 at -14:00
            raise self.make_error("out_of_range") from None
        if not EARLIEST <= in_utc < LATEST:
            raise self.make_error("out_of_range")
        return moment


#: Every ``code`` a warning may have: the linter's (:mod:`plugin.admin.linter`), and copy that contradicts values.
WARNING_CODES = ("unknown_product", "out_of_stock", "unknown_category", "unreachable", "shadowed", "duplicate",
                 "below_margin", "starved_variant", "price_test", "label_contradicts_values")


class MessageSchema(Schema):
    """A message in both of the admin's languages."""

    ja = fields.String(required=True)
    en = fields.String(required=True)


class WarningSchema(Schema):
    """One finding of the rule linter (:mod:`plugin.admin.linter`) about a saved record; never blocks a save."""

    code = fields.String(required=True, validate=validate.OneOf(WARNING_CODES), metadata={
        "description": "What is wrong: dead rules (unknown_product, out_of_stock, unknown_category, unreachable), "
                       "shadowed, duplicate, below_margin, starved_variant, price_test, label_contradicts_values."})
    severity = fields.String(required=True, validate=validate.OneOf(("error", "warning")), metadata={
        "description": "error: the rule cannot work as it is; warning: it may be a mistake."})
    fields_ = fields.List(fields.String(), required=True, data_key="fields",
                          metadata={"description": "The record's fields it concerns, as the API names them."})
    message = fields.Nested(MessageSchema, required=True, metadata={"description": "The message in ja and en."})


class TermsSchema(_Strict):
    """What every rule and offer has: names, schedule, priority, pause; ``version`` guards updates."""

    label = Text(required=True, validate=LABEL)
    label_en = Text(allow_none=True, validate=validate.Length(max=200))
    starts_at = When()
    ends_at = When()
    priority = Whole(load_default=0, validate=validate.Range(min=-1000, max=1000))
    paused = fields.Boolean(load_default=False)
    version = Whole(load_only=True, metadata={"description": "The version you edited (409 if stale)."})
    warnings = fields.List(fields.Nested(WarningSchema), dump_only=True, metadata={
        "description": "What the rule linter finds wrong with the saved record; they never block a save."})

    @validates_schema
    def _schedule(self, data, **kwargs):
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            raise ValidationError("The end must come after the start.", "ends_at")


class RuleTermsSchema(TermsSchema):
    stackable = fields.Boolean(load_default=False)
    exclusive = fields.Boolean(load_default=False)
    per_customer_cap = Whole(allow_none=True, validate=validate.Range(min=1, max=10**6))
    global_cap = Whole(allow_none=True, validate=validate.Range(min=1, max=10**9))
    margin_floor_percent = Percent(allow_none=True, high=1000, attribute="margin_floor_bp", metadata={
        "description": "No unit of a product with a cost sells below cost plus this margin (10: cost + 10%); "
                       "empty: the shop's TSUIDE_MARGIN_FLOOR_PERCENT."})
    max_units = Whole(allow_none=True, validate=validate.Range(min=1, max=10**6), metadata={
        "description": "At most this many units discounted per order (お一人様3点まで); empty: no limit. A bundle "
                       "discounts whole sets within it; a volume discount the units it saves most on."})


class ItemSchema(_Strict):
    product_id = Text(required=True, validate=ID)
    quantity = Whole(load_default=1, validate=validate.Range(min=1, max=999))


def _unique_products(items, name="items"):
    ids = [item["product_id"] for item in items]
    if len(ids) != len(set(ids)):
        raise ValidationError("Each product may be listed once.", name)


class VariantSchema(_Strict):
    """One arm of an A/B test; empty fields keep the offer's own (a variant with none set is the control)."""

    name = Text(required=True, validate=validate.Regexp(VARIANT_NAME, error=VARIANT_NAME_RULE))
    weight = Whole(load_default=1, validate=validate.Range(min=1, max=100))
    label = Text(allow_none=True, validate=validate.Length(max=200))
    label_en = Text(allow_none=True, validate=validate.Length(max=200))
    button_label = Text(allow_none=True, validate=BUTTON)
    button_label_en = Text(allow_none=True, validate=BUTTON)
    discount_percent = Percent(allow_none=True, attribute="discount_bp", metadata={
        "description": "The discount this variant tests, for a percent_off offer (bundles and thank-you offers "
                       "only); empty: the offer's own."})
    pricing_value = Whole(allow_none=True, validate=MONEY, metadata={
        "description": "The amount this variant tests, for an amount_off or fixed_price offer, in the currency's "
                       "minor unit; empty: the offer's own."})


class _CopyVariantSchema(VariantSchema):
    """A variant of a kind with no single discount to vary and no button of the shop's words: it tests its copy
    (``label``, ``label_en``). A discount or a button it sends is refused by field (the engine refuses them too)."""

    #: Why this kind's variants take no discount, and no button.
    no_price = ""
    no_button = ""

    @validates_schema
    def _copy_only(self, data, **kwargs):
        errors = {}
        for name, attribute in ((PERCENT_FIELD, "discount_bp"), (AMOUNT_FIELD, AMOUNT_FIELD)):
            if data.get(attribute) is not None:
                errors[name] = [self.no_price]
        for name in ("button_label", "button_label_en"):
            if data.get(name):
                errors[name] = [self.no_button]
        if errors:
            raise ValidationError(errors)


class SpendVariantSchema(_CopyVariantSchema):
    """A spend discount's variant: its copy only (the discount line and the ladder's words; no button)."""

    no_price = ("A spend discount's steps are several discounts, not one a variant could change: its variants "
                "test copy only. Leave the discount empty.")
    no_button = "A spend discount has no button in the cart (it applies by itself): leave the button empty."


class GiftVariantSchema(_CopyVariantSchema):
    """A free gift's variant: its copy only (the gift is free; its button always says what it adds)."""

    no_price = "A free gift has no discount to test (the gift is free): its variants test copy only."
    no_button = "A free gift's button always says what it adds (Add your free gift): leave the button empty."


def _variants(schema: type[VariantSchema] = VariantSchema, what: str = ""):
    """How many variants and which names or discounts go together is the engine's to check, on save."""
    return fields.List(fields.Nested(schema), load_default=list, validate=validate.Length(max=5), metadata={
        "description": "A/B variants: none, or 2 to 5. Changing weights or names mid-test moves visitors." + what})



def _confirm_price_test():
    return fields.Boolean(load_only=True, load_default=False, metadata={
        "description": "Send true to save variants with different discounts (shoppers see different prices)."})


#: A priced record's discount, by its pricing mode: percent for ``percent_off``, an amount for the others.
PERCENT_FIELD, AMOUNT_FIELD = "discount_percent", "pricing_value"


def value_field(mode: str | None) -> str:
    """The field that carries the discount in ``mode``."""
    return PERCENT_FIELD if mode == "percent_off" else AMOUNT_FIELD


def _wrong_unit(mode: str) -> dict[str, list[str]]:
    if mode == "percent_off":
        return {AMOUNT_FIELD: ["With percent_off, send the discount as discount_percent (10 means 10%); "
                               "pricing_value is the amount of amount_off and fixed_price."]}
    return {PERCENT_FIELD: [f"discount_percent is for percent_off; with {mode}, send pricing_value, a whole "
                            "amount in the currency's minor unit."]}


def settle_price(data: dict, mode: str | None, *, required: bool = False, default: int | None = None) -> dict:
    """Put the discount sent for ``mode`` in ``pricing_value`` (basis points for ``percent_off``), the variants'
    too; return the errors per field (``{}``: settled). ``mode`` ``None`` (a change that leaves the mode as
    saved) leaves the data for a second call with the saved mode.
    """
    if mode is None:
        return {}
    errors: dict = {}
    percent, amount = data.pop("discount_bp", None), data.get(AMOUNT_FIELD)
    if mode in PRICING_MODES:
        if (percent if mode != "percent_off" else amount) is not None:
            errors.update(_wrong_unit(mode))
        value = percent if mode == "percent_off" else amount
        if value is None and required:
            errors[value_field(mode)] = ["Missing data for required field."]
        elif value is None and default is not None:
            value = default
        data.pop(AMOUNT_FIELD, None)
        if value is not None:  # else (a change that leaves the discount as saved) nothing to set
            data[AMOUNT_FIELD] = value
    for index, variant in enumerate(data.get("variants") or []):
        variant_percent = variant.pop("discount_bp", None)
        if mode not in PRICING_MODES:  # not priced: the engine says that variants cannot test a discount
            variant[AMOUNT_FIELD] = variant_percent if variant.get(AMOUNT_FIELD) is None else variant[AMOUNT_FIELD]
            continue
        if (variant_percent if mode != "percent_off" else variant.get(AMOUNT_FIELD)) is not None:
            errors.setdefault("variants", {})[index] = _wrong_unit(mode)
        if mode == "percent_off":
            variant[AMOUNT_FIELD] = variant_percent
    return errors


class _Priced(Schema):
    """A record with a pricing mode and its discount: ``discount_percent`` or ``pricing_value``, by the mode."""

    #: Whether a whole record must send its discount; otherwise it is :attr:`default_value`.
    value_required = True
    default_value: int | None = None

    @post_load
    def _settle(self, data, *, partial=None, **kwargs):
        whole = not partial
        errors = settle_price(data, data.get("pricing_mode"), required=whole and self.value_required,
                              default=self.default_value if whole else None)
        if errors:
            raise ValidationError(errors)
        return data


def _percent_value(**kwargs):
    return Percent(allow_none=True, attribute="discount_bp", metadata={
        "description": "The discount of a percent_off price (send it, or pricing_value, by the pricing mode)."},
        **kwargs)


def _amount_value():
    return Whole(allow_none=True, validate=MONEY, metadata={
        "description": "The amount of an amount_off or fixed_price price, a whole number in the currency's minor "
                       "unit (yen, cents); null for percent_off, whose discount is discount_percent."})


class BundleSchema(_Priced, RuleTermsSchema):
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1, max=50))
    pricing_mode = Text(required=True, validate=validate.OneOf(PRICING_MODES))
    discount_percent = _percent_value(above_low=True)
    pricing_value = _amount_value()
    variants = _variants()
    confirm_price_test = _confirm_price_test()

    @validates_schema
    def _items(self, data, **kwargs):
        _unique_products(data.get("items", []))


class TierSchema(_Strict):
    min_quantity = Whole(required=True, validate=validate.Range(min=1, max=9999))
    discount_percent = Percent(required=True, above_low=True, attribute="percent_bp", metadata={
        "description": "Off every counted unit from min_quantity."})


class VolumeSchema(RuleTermsSchema):
    product_ids = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=500))
    categories = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=50))
    tiers = fields.List(fields.Nested(TierSchema), required=True, validate=validate.Length(min=1, max=10))
    variants = _variants()

    @validates_schema
    def _collection(self, data, *, partial=None, **kwargs):
        # A change of some fields leaves the others as saved: the engine checks the rule as it will be.
        if not partial and not data.get("product_ids") and not data.get("categories"):
            raise ValidationError("Name the products or categories that count.", "product_ids")
        if len(set(data.get("product_ids", []))) != len(data.get("product_ids", [])):
            raise ValidationError("Each product may be listed once.", "product_ids")
        quantities = [tier["min_quantity"] for tier in data.get("tiers", [])]
        if len(set(quantities)) != len(quantities):
            raise ValidationError("Tiers overlap: each starts at its own quantity.", "tiers")

    @post_load
    def _settle(self, data, **kwargs):
        settle_price(data, "volume")  # not priced: a variant's discount is refused by the engine, by name
        return data


class BuyGetSchema(_Priced, RuleTermsSchema):
    """Buy X get Y: buy ``buy_quantity`` of the buy set, get ``get_quantity`` of the get set at a discount."""

    buy_product_ids = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=500), metadata={
        "description": "Products to buy (with buy_categories: any of them)."})
    buy_categories = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=50))
    buy_quantity = Whole(required=True, validate=validate.Range(min=1, max=100), metadata={
        "description": "Units bought per group (X)."})
    get_product_ids = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=500), metadata={
        "description": "Products discounted; with get_categories empty too, the get units come from the buy set."})
    get_categories = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=50))
    get_quantity = Whole(load_default=1, validate=validate.Range(min=1, max=100), metadata={
        "description": "Units discounted per group (Y): the cheapest of the group."})
    pricing_mode = Text(load_default="percent_off", validate=validate.OneOf(("percent_off", "amount_off")), metadata={
        "description": "percent_off (discount_percent 100: free) or amount_off (pricing_value off each get unit)."})
    discount_percent = _percent_value(above_low=True)
    pricing_value = _amount_value()
    max_applications = Whole(allow_none=True, validate=validate.Range(min=1, max=10**6), metadata={
        "description": "At most this many groups per order; empty: as many as the cart forms."})
    variants = _variants(what=" A variant's discount_percent (percent_off) or pricing_value (amount_off) "
                         "replaces the discount of each get unit.")
    confirm_price_test = _confirm_price_test()

    @validates_schema
    def _sets(self, data, *, partial=None, **kwargs):
        if not partial and not data.get("buy_product_ids") and not data.get("buy_categories"):
            raise ValidationError("Name the products or categories to buy.", "buy_product_ids")
        for name in ("buy_product_ids", "get_product_ids"):
            if len(set(data.get(name, []))) != len(data.get(name, [])):
                raise ValidationError("Each product may be listed once.", name)


class RewardSchema(_Strict):
    threshold = Whole(required=True, validate=validate.Range(min=1, max=10**12))
    label = Text(required=True, validate=LABEL)
    label_en = Text(allow_none=True, validate=validate.Length(max=200))


class FeeStepSchema(_Strict):
    threshold = Whole(required=True, validate=validate.Range(min=1, max=10**12),
                      metadata={"description": "From this amount (below free shipping) the fee is lower."})
    fee = Whole(required=True, validate=MONEY, metadata={"description": "The fee from that amount."})


class ShippingSchema(TermsSchema):
    currency = Text(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="Use a code like JPY."))
    threshold = Whole(required=True, validate=validate.Range(min=1, max=10**12))
    fee = Whole(required=True, validate=MONEY)
    count_before_discounts = fields.Boolean(load_default=False)
    fee_steps = fields.List(fields.Nested(FeeStepSchema), load_default=list, validate=validate.Length(max=5),
                            metadata={"description": "Reduced fees on the way to free shipping, e.g. ¥300 from "
                                                     "¥3,000: each above the last and cheaper than it."})
    rewards = fields.List(fields.Nested(RewardSchema), load_default=list, validate=validate.Length(max=10))

    @validates_schema
    def _rewards(self, data, **kwargs):
        thresholds = [reward["threshold"] for reward in data.get("rewards", [])]
        if len(set(thresholds)) != len(thresholds):
            raise ValidationError("Each reward needs its own threshold.", "rewards")
        steps = [step["threshold"] for step in data.get("fee_steps", [])]
        if len(set(steps)) != len(steps):
            raise ValidationError("Each reduced fee needs its own threshold.", "fee_steps")


class SpendStepSchema(_Strict):
    threshold = Whole(required=True, validate=validate.Range(min=1, max=10**12),
                      metadata={"description": "From this much spent (after item discounts, before shipping)."})
    amount_off = Whole(allow_none=True, validate=validate.Range(min=1, max=10**12), metadata={
        "description": "Amount off the order in the currency's minor unit; or give discount_percent."})
    discount_percent = Percent(allow_none=True, above_low=True, attribute="percent_bp", metadata={
        "description": "Percent off the order; or give amount_off."})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if (data.get("amount_off") is None) == (data.get("percent_bp") is None):
            raise ValidationError("Give an amount off or a percentage off, not both.", "amount_off")


class SpendSchema(RuleTermsSchema):
    """A spend discount: "¥5,000以上で¥500引き、¥10,000以上で10%オフ"."""

    currency = Text(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="Use a code like JPY."))
    steps = fields.List(fields.Nested(SpendStepSchema), required=True, validate=validate.Length(min=1, max=10),
                        metadata={"description": "Each step from a higher threshold, taking more off there."})
    variants = _variants(SpendVariantSchema, " A spend discount's variants test its copy only (label, label_en).")

    @validates_schema
    def _steps(self, data, **kwargs):
        thresholds = [step["threshold"] for step in data.get("steps", [])]
        if len(set(thresholds)) != len(thresholds):
            raise ValidationError("Each step needs its own threshold.", "steps")


class GiftSchema(TermsSchema):
    """A free gift (ノベルティ): one unit of a product at no charge while the condition holds and it is in stock."""

    currency = Text(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="Use a code like JPY."))
    gift_product_id = Text(required=True, validate=ID, metadata={"description": "The product given away."})
    threshold = Whole(allow_none=True, validate=validate.Range(min=1, max=10**12), metadata={
        "description": "Earned from this much spent, the gift itself not counted; null: no spend condition."})
    trigger_products = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=200),
                                   metadata={"description": "Earned with a unit of one of these in the cart."})
    per_customer_cap = Whole(allow_none=True, validate=validate.Range(min=1, max=10**6))
    global_cap = Whole(allow_none=True, validate=validate.Range(min=1, max=10**9),
                       metadata={"description": "Gifts in total (first N): while stocks last."})
    variants = _variants(GiftVariantSchema, " A free gift's variants test its copy only (label, label_en).")

    @validates_schema
    def _condition(self, data, *, partial=None, **kwargs):
        if not partial and data.get("threshold") is None and not data.get("trigger_products"):
            raise ValidationError("Give a spend threshold, products that earn the gift, or both.", "threshold")
        if len(set(data.get("trigger_products", []))) != len(data.get("trigger_products", [])):
            raise ValidationError("Each product may be listed once.", "trigger_products")


#: A subscribe offer's plan: the cycle, the first delivery's pricing, the minimum, and the terms in ja and en.
PLAN_FIELDS = ("cycle_every", "cycle_unit", "first_pricing_mode", "first_pricing_value", "min_deliveries",
               "payment_terms", "payment_terms_en", "cancel_terms", "cancel_terms_en")
#: The terms 特定商取引法 asks a 定期 offer to show before its button, in the shop's own words.
TERM_FIELDS = {"payment_terms": "Say when payment happens (shown before the button, as the law asks).",
               "payment_terms_en": "Say when payment happens (shown before the button, as the law asks).",
               "cancel_terms": "Say how to cancel (解約方法, shown before the button, as the law asks).",
               "cancel_terms_en": "Say how to cancel (解約方法, shown before the button, as the law asks)."}
TERMS_TEXT = validate.Length(max=1000)


class OfferBaseSchema(_Priced, TermsSchema):
    kind = Text(required=True, validate=validate.OneOf(("add_on", "upgrade", "subscribe")))
    accept_label = Text(allow_none=True, validate=BUTTON)
    accept_label_en = Text(allow_none=True, validate=BUTTON)
    decline_label = Text(allow_none=True, validate=BUTTON)
    decline_label_en = Text(allow_none=True, validate=BUTTON)
    trigger_products = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=200))
    trigger_categories = fields.List(Text(validate=ID), load_default=list, validate=validate.Length(max=50))
    items = fields.List(fields.Nested(ItemSchema), load_default=list, validate=validate.Length(max=20))
    replaces_product_id = Text(allow_none=True, validate=ID)
    cycle_every = Whole(allow_none=True, validate=validate.Range(min=1, max=26),
                        metadata={"description": "A subscription's cycle: every N weeks (up to 26) or months (up to 12)."})
    cycle_unit = Text(allow_none=True, validate=validate.OneOf(("week", "month")))
    first_pricing_mode = Text(allow_none=True, validate=validate.OneOf(PRICING_MODES),
                              metadata={"description": "How this order (the first delivery) is priced; null: as paid."})
    first_discount_percent = Percent(allow_none=True, attribute="first_discount_bp", metadata={
        "description": "The first delivery's discount when first_pricing_mode is percent_off."})
    first_pricing_value = Whole(allow_none=True, validate=MONEY, metadata={
        "description": "The first delivery's amount off or price when first_pricing_mode is amount_off or "
                       "fixed_price, in the currency's minor unit; null for percent_off."})
    min_deliveries = Whole(allow_none=True, validate=validate.Range(min=1, max=24),
                           metadata={"description": "Deliveries the shopper commits to; null: none."})
    payment_terms = Text(allow_none=True, validate=TERMS_TEXT, metadata={"description": "When payment happens (ja)."})
    payment_terms_en = Text(allow_none=True, validate=TERMS_TEXT, metadata={"description": "When payment happens (en)."})
    cancel_terms = Text(allow_none=True, validate=TERMS_TEXT, metadata={"description": "How to cancel, 解約方法 (ja)."})
    cancel_terms_en = Text(allow_none=True, validate=TERMS_TEXT, metadata={"description": "How to cancel (en)."})
    pricing_mode = Text(load_default="percent_off", validate=validate.OneOf(PRICING_MODES))
    discount_percent = _percent_value()
    pricing_value = _amount_value()
    min_order_total = Whole(allow_none=True, validate=MONEY)
    max_order_total = Whole(allow_none=True, validate=MONEY)
    segment = Text(load_default="any", validate=validate.OneOf(("any", "new", "returning", "loyal")))
    global_cap = Whole(allow_none=True, validate=validate.Range(min=1, max=10**9))

    @validates_schema
    def _offer(self, data, **kwargs):
        _unique_products(data.get("items", []))
        if data.get("kind") == "upgrade" and not data.get("replaces_product_id"):
            raise ValidationError("An upgrade names the product it replaces.", "replaces_product_id")
        if data.get("kind") == "add_on" and data.get("replaces_product_id"):
            raise ValidationError("Only an upgrade replaces a product.", "replaces_product_id")
        if data.get("kind") not in (None, "subscribe") and not data.get("items"):
            raise ValidationError("An offer needs at least one product.", "items")
        low, high = data.get("min_order_total"), data.get("max_order_total")
        if low is not None and high is not None and high < low:
            raise ValidationError("Must not be below the minimum.", "max_order_total")

    value_required = False
    default_value = 0  # an offer of the products at their price

    @post_load
    def _settle_first_price(self, data, **kwargs):
        """The first delivery's discount in the column's unit: basis points for percent_off, else the amount."""
        mode, percent = data.get("first_pricing_mode"), data.pop("first_discount_bp", None)
        if percent is None:
            if mode == "percent_off" and data.get("first_pricing_value") is not None:
                raise ValidationError({"first_pricing_value": [
                    "With percent_off, send the discount as first_discount_percent (10 means 10%); "
                    "first_pricing_value is the amount of amount_off and fixed_price."]})
            return data
        if mode != "percent_off":
            raise ValidationError({"first_discount_percent": [
                "Only with a first_pricing_mode of percent_off; send amounts as first_pricing_value."]})
        data["first_pricing_value"] = percent
        return data

    @validates_schema(skip_on_field_errors=False)
    def _plan(self, data, **kwargs):
        """Checked even when other fields are wrong (a downsell's, say): every missing term is named at once."""
        if data.get("kind") == "subscribe":
            _subscription_plan(data)


def _subscription_plan(data: dict) -> None:
    """A subscribe offer's plan and terms, every missing or wrong field named at once."""
    errors: dict[str, list[str]] = {}  # (products it should not add are refused by the engine, on save)
    if data.get("cycle_unit") is None:
        errors["cycle_unit"] = ["Choose weeks or months."]
    if data.get("cycle_every") is None:
        errors["cycle_every"] = ["Say how often it is delivered: every N weeks or months."]
    elif data.get("cycle_unit") == "month" and data["cycle_every"] > 12:
        errors["cycle_every"] = ["Every 1 to 12 months."]
    for name, message in TERM_FIELDS.items():
        if not (data.get(name) or "").strip():
            errors[name] = [message]
    if errors:
        raise ValidationError(errors)


class DownsellSchema(OfferBaseSchema):
    """The cheaper alternative shown once after the offer is declined."""


class OfferSchema(OfferBaseSchema):
    downsell = fields.Nested(DownsellSchema, allow_none=True)
    variants = _variants()
    confirm_price_test = _confirm_price_test()


class SettingsSchema(_Strict):
    """Shop-wide settings that override the ``TSUIDE_*`` defaults without a deploy."""

    max_cart_offers = Whole(validate=validate.Range(min=0, max=10))
    max_gap_fillers = Whole(validate=validate.Range(min=0, max=10))
    post_purchase_minutes = Whole(validate=validate.Range(min=1, max=24 * 60))
    decline_days = Whole(validate=validate.Range(min=0, max=365))
    upsell_max_ratio = fields.Float(validate=validate.Range(min=0.05, max=1.0))
    loyal_orders = Whole(validate=validate.Range(min=2, max=1000))
    holdout_percent = fields.Float(validate=validate.Range(min=0, max=50),
                                   metadata={"description": "Share of visitors who see no offers (%)."})
    significance = fields.Float(validate=validate.Range(min=0.001, max=0.2),
                                metadata={"description": "p-value below which an A/B test names a winner."})
    event_retention_days = Whole(validate=validate.Range(min=30, max=3650))
    renewal_offers = fields.Boolean(truthy={True}, falsy={False}, metadata={
        "description": "Suggest add-ons for subscriptions' next deliveries (renewal add-ons) at all."})
    renewal_pairs = fields.Boolean(truthy={True}, falsy={False}, metadata={
        "description": "Whether mined pairs (bought together) feed renewal add-ons, as well as rules."})
    renewal_excluded_rules = fields.List(
        fields.String(validate=[validate.Length(min=1, max=20), validate.Regexp(r"^[0-9]+$")]),
        validate=validate.Length(max=500),
        metadata={"description": "Ids of the rules never suggested for a next delivery."})


#: Setting name -> the config key it overrides.
SETTING_KEYS = {
    "max_cart_offers": "TSUIDE_MAX_CART_OFFERS",
    "max_gap_fillers": "TSUIDE_MAX_GAP_FILLERS",
    "post_purchase_minutes": "TSUIDE_POST_PURCHASE_MINUTES",
    "decline_days": "TSUIDE_DECLINE_DAYS",
    "upsell_max_ratio": "TSUIDE_UPSELL_MAX_RATIO",
    "loyal_orders": "TSUIDE_LOYAL_ORDERS",
    "holdout_percent": "TSUIDE_HOLDOUT_PERCENT",
    "significance": "TSUIDE_SIGNIFICANCE",
    "event_retention_days": "TSUIDE_EVENT_RETENTION_DAYS",
    "renewal_offers": "TSUIDE_RENEWAL_OFFERS",
    "renewal_pairs": "TSUIDE_RENEWAL_PAIRS",
    "renewal_excluded_rules": "TSUIDE_RENEWAL_EXCLUDED_RULES",
}


class PageSchema(Schema):
    """Query string of a list: page, size, and which records."""

    class Meta:
        unknown = RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**6))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    status = fields.String(
        load_default=None, validate=validate.OneOf(("active", "scheduled", "expired", "paused", "deleted"))
    )


class PairSchema(_Strict):
    """A mined pair to make a bundle of."""

    product_a = Text(required=True, validate=ID)
    product_b = Text(required=True, validate=ID)

    @validates_schema
    def _two(self, data, **kwargs):
        if data.get("product_a") == data.get("product_b"):
            raise ValidationError("A pair is two different products.", "product_b")


class SearchSchema(Schema):
    """The product picker's query: any text a database can search for."""

    class Meta:
        unknown = RAISE

    q = Text(load_default="")
