"""Column types whose stored form depends on the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Index, Integer, String, text
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a time zone")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: store one naive UTC form so that order holds.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:  # PostgreSQL in UTC (see survey.store.postgresql)
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Big integers on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def key_string(length: int) -> Any:
    """A text key (case_ref, identifier hash) in code-point order: COLLATE "C" on PostgreSQL.

    Keys are matched and ordered, never shown sorted to a person. "C" compares bytes, where a
    locale's collation calls strcoll on every comparison in every index; and the sampling order
    (last closure, case_ref in code points, as Python compares) is the column's own order.
    SQLite's default order is already code points.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def partial_index(name: str, *columns: str, where: str) -> Index:
    """An index of only the rows that match `where` (a condition in SQL both databases read)."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))
