"""marshmallow schemas for what shoppers' browsers send. Unknown fields, prices among them, are ignored."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

#: At most this many of one product per request.
MAX_QUANTITY = 99
#: What a browser may report; adds, accepts, declines and orders are recorded by the server itself.
EVENT_KINDS = ("view", "impression", "click", "dismiss")
#: How offers are named: a rule id, ``pp:<id>`` (thank-you), ``gap:<product>``, ``pair:<product>``.
OFFER_ID = validate.Regexp(r"^(?:[0-9]{1,9}|pp:[0-9]{1,9}|gap:\S{1,60}|pair:\S{1,59})$",
                           error="Not an offer of this shop.")


class ItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a price sent by the client is ignored: the server prices everything

    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(load_default=1, strict=False, validate=validate.Range(min=1, max=MAX_QUANTITY))


class AddToCartSchema(Schema):
    """``{"bundle_id": "12"}`` adds what the offer needs; ``{"items": [...]}`` adds products."""

    class Meta:
        unknown = EXCLUDE

    bundle_id = fields.String(validate=validate.Length(min=1, max=64))
    items = fields.List(fields.Nested(ItemSchema), validate=validate.Length(min=1, max=20))
    offer = fields.String(validate=validate.Regexp(r"^(?:gap|pair):\S{1,60}$", error="Not an offer of this shop."),
                          metadata={"description": "The suggestion these items come from (gap:<product> or "
                                                   "pair:<product>), for the analytics."})

    @validates_schema
    def _one_of(self, data, **kwargs):
        if ("bundle_id" in data) == ("items" in data):
            raise ValidationError("Send either bundle_id or items.", "_schema")


class EventSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    offers = fields.List(fields.String(validate=OFFER_ID), load_default=list, validate=validate.Length(max=10))
    page = fields.String(load_default="cart", validate=validate.OneOf(("cart", "thank-you")))
    beacon_token = fields.String(validate=validate.Length(min=1, max=2_000),
                                 metadata={"description": "The beacon token of the panel that showed the offers."})

    @validates_schema
    def _offers(self, data, **kwargs):
        if data.get("kind") != "view" and not data.get("offers"):
            raise ValidationError("Name the offers this is about.", "offers")
        if data.get("kind") != "view" and not data.get("beacon_token"):
            raise ValidationError("Send the beacon_token of the panel that showed these offers.", "beacon_token")


def form_to_add_request(form) -> dict:
    """The no-JavaScript form (one bundle, or one product and quantity) in the JSON shape."""
    if form.get("bundle_id"):
        return {"bundle_id": form["bundle_id"]}
    if form.get("product_id"):
        request = {"items": [{"product_id": form["product_id"], "quantity": form.get("quantity", 1)}]}
        if form.get("offer"):
            request["offer"] = form["offer"]
        return request
    return {}


class OfferAnswerSchema(Schema):
    """Declining the offer shown for an order."""

    class Meta:
        unknown = EXCLUDE

    offer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class AcceptSchema(OfferAnswerSchema):
    """Accepting it, with the key that makes a retry or a double click charge once."""

    idempotency_key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,100}$"))
