"""Who sees what: a visitor's A/B variant of an offer, and the shop-wide holdout.

Assignment hashes the visitor with a secret salt of the shop's, so a visitor
keeps their variant across requests and servers without storing anything,
and nobody without the salt can work out which ids land in which variant
(or outside the holdout). Pure: the standard library's :mod:`hashlib` and
:mod:`hmac` only, so the engine and the storefront share it.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from .money import FULL_BASIS_POINTS

__all__ = ["assign", "in_holdout"]


def _bucket(key: str, salt: str) -> int:
    """A stable bucket in ``[0, 10_000)``: the first 8 bytes of HMAC-SHA256 of ``key`` under ``salt``.

    Python's ``hash()`` is salted per process, so it would move visitors
    between variants on every restart; a keyed SHA-256 does not, and without
    the salt its buckets cannot be precomputed. The modulo bias of
    ``2**64 % 10_000`` over ``2**64`` values is below ``1e-15``.
    """
    digest = hmac.new(salt.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % FULL_BASIS_POINTS


def _check_holdout(holdout_bp: int) -> None:
    if not isinstance(holdout_bp, int) or not 0 <= holdout_bp <= FULL_BASIS_POINTS:
        raise ValueError(f"holdout_bp must be a whole number of basis points, 0 to {FULL_BASIS_POINTS}")


def assign(
    visitor_id: str,
    experiment_id: str,
    variants: Sequence[tuple[str, int]],
    holdout_bp: int = 500,
    *,
    salt: str,
) -> str | None:
    """The variant ``visitor_id`` sees in ``experiment_id``, or ``None`` for the holdout.

    The visitor's bucket is :func:`_bucket` of ``"{experiment_id}:{visitor_id}"``
    under the shop's secret ``salt``.
    Buckets below ``holdout_bp`` are the holdout (no offers at all, the
    baseline for :func:`incremental`); the rest are split between
    ``variants`` in proportion to their integer weights, in the order given.
    The same arguments always give the same answer, and because the
    experiment id is hashed with the visitor, assignments in two experiments
    are independent. The holdout here belongs to this experiment; for one
    that holds a visitor out of every offer, see :func:`in_holdout`.

    Changing the weights or their order moves visitors between variants, so
    fix them before a test starts.
    """
    _check_holdout(holdout_bp)
    if not variants:
        raise ValueError("an experiment needs at least one variant")
    names = [name for name, _ in variants]
    if len(set(names)) != len(names):
        raise ValueError("variant names must be distinct")
    if any(not isinstance(weight, int) or weight < 0 for _, weight in variants):
        raise ValueError("variant weights must be whole numbers, zero or more")
    total_weight = sum(weight for _, weight in variants)
    if total_weight == 0:
        raise ValueError("at least one variant needs a positive weight")

    bucket = _bucket(f"{experiment_id}:{visitor_id}", salt)
    if bucket < holdout_bp:
        return None
    # Scale the bucket's place in the non-holdout range onto [0, total_weight).
    position = (bucket - holdout_bp) * total_weight // (FULL_BASIS_POINTS - holdout_bp)
    running_weight = 0
    for name, weight in variants:
        running_weight += weight
        if position < running_weight:
            return name
    raise AssertionError("unreachable: position is below total_weight")  # pragma: no cover


def in_holdout(visitor_id: str, holdout_bp: int, *, salt: str) -> bool:
    """Whether ``visitor_id`` is in the shop-wide holdout that sees no offers at all.

    The bucket depends on the visitor and the shop's ``salt`` only, so a
    held-out visitor is held out of every offer and every experiment; a new
    ``salt`` draws a fresh holdout (and fresh variants).
    """
    _check_holdout(holdout_bp)
    return _bucket(f"tsuide-holdout:{visitor_id}", salt) < holdout_bp
