"""Report labels of a local date on SQLite, where a date is stored as 'YYYY-MM-DD' text and
strftime knows no ISO week (%G, %V): the week is that of the date's Thursday (ISO 8601)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, String, cast, func, literal_column


def _sql(fragment: str) -> Any:
    # Constants written into the statement, not bound: the labels need no parameters at all.
    return literal_column(fragment)


def period_label(day: Any, key: str) -> ColumnElement[str]:
    """`day` as 2026-03-10 (day), 2026-W11 (week, ISO year and week) or 2026-03 (month)."""
    if key == "day":
        return func.strftime(_sql("'%Y-%m-%d'"), day, type_=String)
    if key == "month":
        return func.strftime(_sql("'%Y-%m'"), day, type_=String)
    monday_based = (cast(func.strftime(_sql("'%w'"), day), Integer) + _sql("6")) % _sql("7")
    thursday = func.date(func.julianday(day) + _sql("3") - monday_based)
    day_of_year = cast(func.strftime(_sql("'%j'"), thursday), Integer)
    return func.printf(
        _sql("'%s-W%02d'"),
        func.strftime(_sql("'%Y'"), thursday),
        (day_of_year + _sql("6")).self_group().op("/")(_sql("7")),  # integer division
        type_=String,
    )
