"""The per-item figures of the report under matrix sampling (survey/matrix.py).

A survey asks a subset of the A1.2 b and c items, stored on it. An item's `n` counts the
answered surveys that gave it a score (only surveys that asked it can); `asked` counts the
answered surveys that asked it, and `response_rate` is n / asked ("don't know" and a skipped
item are not scores). A part's mean (contact experience, case handling) is the mean of its
items' means (SPEC section 7), so that an item asked or answered more often weighs no more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_
from sqlmodel import col

from survey.models import Response, Survey
from survey.reporting import stats
from survey.reporting.counting import count_if


def asked(item: str) -> ColumnElement[bool]:
    """The survey asked `item`: its stored subset names it, or it has none (every item)."""
    stored = col(Survey.asked_items)
    listed = literal(",") + stored + literal(",")
    return or_(stored.is_(None), listed.contains(f",{item},", autoescape=True))


def asked_columns(items: Sequence[str]) -> list[ColumnElement[Any]]:
    """Per item, how many answered surveys (overall given) asked it."""
    answered = col(Response.overall).is_not(None)
    return [count_if(and_(answered, asked(item))).label(f"{item}_asked") for item in items]


def item_rate(row: dict[str, Any], item: str, n: int) -> dict[str, Any]:
    """An item's `asked` count and its response rate among the surveys that asked it."""
    asked_n = row.get(f"{item}_asked", 0)
    return {"asked": asked_n, "response_rate": stats.share(n, asked_n)}


def part_figures(row: dict[str, Any], items: Sequence[str], suppressed: bool) -> dict[str, Any]:
    """Per-item n, mean, asked and response rate, and the part's mean of item means."""
    figures: dict[str, dict[str, Any]] = {}
    for item in items:
        n = row.get(f"{item}_n", 0)
        figures[item] = {
            "n": n,
            "mean": None if suppressed else stats.mean_from_sums(n, row.get(f"{item}_sum", 0)),
            **item_rate(row, item, n),
        }
    means = [f["mean"] for f in figures.values() if f["mean"] is not None]
    return {
        "mean": None if suppressed or not means else sum(means) / len(means),
        "items": figures,
    }
