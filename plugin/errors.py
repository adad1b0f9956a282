"""Errors the host shop may want to handle, as ``werkzeug`` HTTP exceptions.

Each has a ``description`` a shopper can read (in the shopper's language when
raised during a request), so ``app.errorhandler`` can show it as it is.
"""
from __future__ import annotations

from collections.abc import Mapping

from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    Gone,
    HTTPException,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
)


class CapReached(Conflict):
    """A capped rule ran out between the quote and the order: quote again and show the new total."""

    def __init__(self, rule_label: str):
        super().__init__(f"The offer {rule_label!r} has just run out. Please check your cart total again.")
        self.rule_label = rule_label


class InvalidRequest(BadRequest):
    """The request body is malformed; ``fields`` maps each field to its messages."""

    def __init__(self, description: str, fields: Mapping[str, object]):
        super().__init__(description)
        self.fields = dict(fields)


class RequestTooLarge(RequestEntityTooLarge):
    """The body is larger than the endpoint takes (``TSUIDE_MAX_REQUEST_BYTES``); refused before it is read."""


class JSONTooComplex(InvalidRequest):
    """A JSON body nested too deeply, or with too many members in one list or object."""

    def __init__(self, description: str):
        super().__init__(description, {"_schema": [description]})


class UnknownOffer(NotFound):
    """No such bundle or offer (or no such product)."""


class OfferUnavailable(Gone):
    """The offer exists but is paused, over, not started, or sold out."""


class NotAddable(Conflict):
    """The offer cannot be added now: out of stock, or already in the cart."""


class PluginUnavailable(ServiceUnavailable):
    """Something inside the plugin failed (database, adapter); the shop's page still works."""


class PaymentFailed(HTTPException):
    """The shop could not charge the stored payment for an accepted offer; nothing was recorded."""

    code = 402
