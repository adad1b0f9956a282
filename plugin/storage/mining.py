"""What ``flask tsuide mine`` found: product pairs bought together, and a row per run."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class MiningRun(Base):
    """One ``flask tsuide mine``: when, from where, and how much it read and kept."""

    __tablename__ = "tsuide_mining_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    since: Mapped[datetime | None] = mapped_column(DateTime)
    min_support: Mapped[int] = mapped_column(Integer, nullable=False)
    orders: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lines: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    pairs: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class MinedPair(Base):
    """Two products and how often they share an order; the latest run's set replaces the last one whole.

    ``product_a`` sorts before ``product_b`` by code point (Python's ``<``, PostgreSQL's ``COLLATE "C"``);
    no CHECK constraint says so, because a database's default collation may order text differently.
    Statistics are floats: they are ratios, not money.
    """

    __tablename__ = "tsuide_mined_pairs"
    product_a: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_b: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("tsuide_mining_runs.id"), nullable=False)
    orders_together: Mapped[int] = mapped_column(Integer, nullable=False)
    support: Mapped[float] = mapped_column(Float, nullable=False)
    confidence_ab: Mapped[float] = mapped_column(Float, nullable=False)
    confidence_ba: Mapped[float] = mapped_column(Float, nullable=False)
    lift: Mapped[float] = mapped_column(Float, nullable=False)


class BlockedPair(Base):
    """Two products an admin never wants offered together ("bought together" or a gap filler).

    Kept apart from :class:`MinedPair`, whose set each run replaces whole, so a block outlives re-mining.
    ``product_a`` sorts before ``product_b``, as in :class:`MinedPair`.
    """

    __tablename__ = "tsuide_blocked_pairs"
    product_a: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_b: Mapped[str] = mapped_column(String(64), primary_key=True)
    blocked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
