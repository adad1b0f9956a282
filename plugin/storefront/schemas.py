"""marshmallow schemas for what shoppers' browsers send. Unknown fields, prices among them, are ignored."""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

#: At most this many of one product per request.
MAX_QUANTITY = 99
#: What a browser may report; adds, accepts, declines and orders are recorded by the server itself.
EVENT_KINDS = ("view", "impression", "click", "dismiss")
#: How offers are named: a rule id, ``pp:<id>`` (thank-you), ``gap:<product>``, ``pair:<product>``.
#: A product id in an offer id: printable, no spaces, no control characters or lone surrogates (which a
#: database refuses).
_PRODUCT = r"[^\s\x00-\x1f\x7f\ud800-\udfff]"
OFFER_ID = validate.Regexp(rf"^(?:[0-9]{{1,9}}|pp:[0-9]{{1,9}}|gap:{_PRODUCT}{{1,60}}|pair:{_PRODUCT}{{1,59}})$",
                           error="Not an offer of this shop.")


#: What no database column should hold: control characters (tab and line breaks aside), lone surrogates.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: A quantity as a form sends it: ASCII digits only (not "1.5", not a full-width "５").
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class Text(fields.String):
    """A string every database stores as sent: a NUL, another control character or a lone surrogate is a 400."""

    default_error_messages = {"unstorable": "Contains a character that cannot be saved (a control character)."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if UNSTORABLE.search(text):
            raise self.make_error("unstorable")
        return text


class ItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a price sent by the client is ignored: the server prices everything

    product_id = Text(required=True, validate=validate.Length(min=1, max=64))
    # strict: 1.5 is refused, not cut to 1 (a form's text is turned into a number first, see form_to_add_request)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class AddToCartSchema(Schema):
    """``{"bundle_id": "12"}`` adds what the offer needs; ``{"items": [...]}`` adds products."""

    class Meta:
        unknown = EXCLUDE

    bundle_id = Text(validate=validate.Length(min=1, max=64))
    items = fields.List(fields.Nested(ItemSchema), validate=validate.Length(min=1, max=20))
    offer = Text(validate=validate.Regexp(r"^(?:(?:gap|pair):\S{1,60}|[0-9]{1,9})$", error="Not an offer of this shop."),
                 metadata={"description": "The suggestion these items come from (gap:<product>, pair:<product>, "
                                          "or the id of the free gift they earn), for the analytics."})
    offers = fields.List(Text(validate=OFFER_ID), validate=validate.Length(max=10),
                         metadata={"description": "The suggestions these items come from (a rule id or "
                                                  "pair:<product>), from a product page, for the analytics."})
    page = fields.String(load_default="cart", validate=validate.OneOf(("cart", "product")),
                         metadata={"description": "The page the items were added from, for the analytics."})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if ("bundle_id" in data) == ("items" in data):
            raise ValidationError("Send either bundle_id or items.", "_schema")


class EventSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    offers = fields.List(fields.String(validate=OFFER_ID), load_default=list, validate=validate.Length(max=10))
    page = fields.String(load_default="cart", validate=validate.OneOf(("cart", "thank-you", "product")))
    beacon_token = fields.String(validate=validate.Length(min=1, max=2_000),
                                 metadata={"description": "The beacon token of the panel that showed the offers."})

    @validates_schema
    def _offers(self, data, **kwargs):
        if data.get("kind") != "view" and not data.get("offers"):
            raise ValidationError("Name the offers this is about.", "offers")
        if data.get("kind") != "view" and not data.get("beacon_token"):
            raise ValidationError("Send the beacon_token of the panel that showed these offers.", "beacon_token")


def _form_quantity(quantity: str):
    """A form's quantity as a number; anything else stays text, which the schema refuses, naming the field."""
    return int(quantity) if _WHOLE_NUMBER.fullmatch(quantity) else quantity


def form_to_add_request(form) -> dict:
    """The no-JavaScript form (one bundle, one product and quantity, or a product page's several) in the
    JSON shape."""
    page = {"page": form["page"]} if form.get("page") else {}
    if len(form.getlist("product_id")) > 1 or form.getlist("offers"):  # a product page's form: several items
        quantities = form.getlist("quantity")
        items = [{"product_id": product_id,
                  "quantity": _form_quantity(quantities[index] if index < len(quantities) else "1")}
                 for index, product_id in enumerate(form.getlist("product_id"))]
        return {"items": items, "offers": form.getlist("offers"), **page}
    if form.get("bundle_id"):
        return {"bundle_id": form["bundle_id"], **page}
    if form.get("product_id"):
        quantity = form.get("quantity", "1")
        if _WHOLE_NUMBER.fullmatch(quantity):
            quantity = int(quantity)  # anything else stays text, which the schema refuses, naming the field
        request = {"items": [{"product_id": form["product_id"], "quantity": quantity}], **page}
        if form.get("offer"):
            request["offer"] = form["offer"]
        return request
    return {}


class OfferAnswerSchema(Schema):
    """Declining the offer shown for an order."""

    class Meta:
        unknown = EXCLUDE

    offer_id = Text(required=True, validate=validate.Length(min=1, max=64))


class AcceptSchema(OfferAnswerSchema):
    """Accepting it, with the key that makes a retry or a double click charge once."""

    idempotency_key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,100}$"))
