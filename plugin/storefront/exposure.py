"""Who sees what: the shop-wide holdout and each offer's A/B variant, worked out once per request."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..engine.assignment import in_holdout
from ..engine.variants import VariantSpec, assignments
from .visitor import assignment_salt


@dataclass(frozen=True)
class Exposure:
    """One visitor's place in the tests: held out of every offer, or a variant of each offer under test."""

    visitor: str | None
    holdout: bool = False
    chosen: Mapping[str, VariantSpec] = field(default_factory=dict)

    def variant_of(self, offer_id: str) -> str | None:
        spec = self.chosen.get(offer_id)
        return spec.name if spec is not None else None

    def button_for(self, offer_id: str, locale: str | None) -> str | None:
        spec = self.chosen.get(offer_id)
        return spec.button_for(locale) if spec is not None else None


#: Outside a shopper's request (a script, the CLI): every offer as configured, nobody held out.
NOBODY = Exposure(None)


def exposure_for(visitor: str, tests: Mapping[str, tuple[VariantSpec, ...]], holdout_percent: float,
                 salt: str | None = None) -> Exposure:
    """Where ``visitor`` stands: the holdout is drawn first, then one variant per test (under the shop's salt,
    :func:`.visitor.assignment_salt` unless given)."""
    salt = assignment_salt() if salt is None else salt
    holdout_bp = round(holdout_percent * 100)
    if holdout_bp and in_holdout(visitor, holdout_bp, salt=salt):  # no holdout: no draw to make
        return Exposure(visitor, holdout=True)
    return Exposure(visitor, chosen=assignments(visitor, tests, salt=salt))
