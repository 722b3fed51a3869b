"""Pieces every report's queries share: counting rows that meet a condition, what counts as
sent, and the local (Europe/Stockholm) days, weeks and months that periods and buckets use."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_
from sqlmodel import col

from survey.models import SENT_STATUSES, ResponseStatus, Survey
from survey.sampling.draw import STOCKHOLM

# A survey that was opened, answered or declined reached the customer whatever the provider said.
REACHED = (ResponseStatus.opened, ResponseStatus.answered, ResponseStatus.declined)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sent_condition() -> ColumnElement[bool]:
    """A survey counts as sent when the provider took it, or when the customer reached it."""
    return or_(
        col(Survey.delivery_status).in_([str(s) for s in SENT_STATUSES]),
        col(Survey.response_status).in_([str(s) for s in REACHED]),
    )


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM)


def time_label(day: date, key: str) -> str:
    """A local date's label under a time key: 2026-03-10, 2026-W11 or 2026-03."""
    if key == "day":
        return day.isoformat()
    if key == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"{day.year}-{day.month:02d}"


def period_labels(start: date, end: date, key: str) -> list[str]:
    """The labels of every day, week or month of [start, end), in order."""
    labels: list[str] = []
    day = start
    while day < end:
        label = time_label(day, key)
        if not labels or labels[-1] != label:
            labels.append(label)
        day += timedelta(days=1)
    return labels
