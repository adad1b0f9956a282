"""Errors the host shop may want to handle, as ``werkzeug`` HTTP exceptions."""
from __future__ import annotations

from werkzeug.exceptions import Conflict


class CapReached(Conflict):
    """A capped rule ran out between the quote and the order: quote again and show the new total."""

    def __init__(self, rule_label: str):
        super().__init__(f"The offer {rule_label!r} has just run out. Please check your cart total again.")
        self.rule_label = rule_label
