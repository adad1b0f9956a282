"""What every table of the plugin shares: the metadata, time and id helpers, the version stamp and settings.

The plugin's tables, all named ``tsuide_*``, hang off this module's own
metadata, not the shop's ``db.Model``, so the shop's ``db.create_all()`` never
creates them and the plugin's migrations never touch the shop's tables.
Queries go through the shop's ``db.session``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc(value: datetime | None) -> datetime | None:
    """Stored datetimes are naive UTC; the engine compares aware ones."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def to_storage(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def plain_number(text: str | None, max_digits: int = 9) -> int | None:
    """``text`` as a number if it is 1 to ``max_digits`` ASCII digits, else ``None``.

    For numbers in URLs, forms and headers: ``"²"`` and ``"٣"`` pass ``str.isdigit()`` but not ``int()``,
    and more digits would overflow a SQL integer.
    """
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def row_id(text: str) -> int | None:
    """A record id from a URL or a form, or ``None`` if it cannot be one (never an overflow in SQL)."""
    return plain_number(text)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class State(Base):
    """One row: the version stamp every worker compares its rule cache with."""

    __tablename__ = "tsuide_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class Setting(Base):
    """A shop-wide setting an admin can change without a deploy (overrides a ``TSUIDE_*`` default)."""

    __tablename__ = "tsuide_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
