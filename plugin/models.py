"""The plugin's tables, for a shop that writes rules in code (``from plugin import models``).

Every table lives in :mod:`plugin.storage`; this module is its public face,
so ``models.Bundle``, ``models.PostPurchaseOffer`` or ``models.Event`` stay
where a shop's code expects them. Saving a rule validates it through the
engine and raises :class:`plugin.RuleError` naming every wrong field.
"""
from .storage import *  # noqa: F403  (the public face of the tables)
from .storage import __all__  # noqa: F401
