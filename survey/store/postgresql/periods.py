"""Report labels of a local date on PostgreSQL: to_char knows the ISO year and week."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, func, literal_column

# Formats written into the statement, not bound: the labels need no parameters at all.
_FORMATS = {"day": "'YYYY-MM-DD'", "week": "'IYYY-\"W\"IW'", "month": "'YYYY-MM'"}


def period_label(day: Any, key: str) -> ColumnElement[str]:
    """`day` as 2026-03-10 (day), 2026-W11 (week, ISO year and week) or 2026-03 (month)."""
    return func.to_char(day, literal_column(_FORMATS[key]), type_=String)
