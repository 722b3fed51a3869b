"""When an answer raises a follow-up, and by when it is due. The rules are read only where the
customer ticked "you may contact me about my answers"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import col

from survey.models import Response
from survey.sampling.draw import STOCKHOLM


def follow_up_rules(names: Iterable[str] | None = None) -> dict[str, ColumnElement[bool]]:
    """The rules named (SURVEY_FOLLOWUP_RULES; all when None), each as a condition on the
    response (issue 18, point 5)."""
    rules = {
        "low_overall": col(Response.overall) <= 2,
        "not_resolved": col(Response.resolution) == "no",
        "not_first_contact": col(Response.fcr) == "no",
        "comment": func.length(func.trim(col(Response.comment))) > 0,
    }
    wanted = set(rules if names is None else names)
    return {name: rule for name, rule in rules.items() if name in wanted}


def due_at(answered_at: datetime, working_days: int) -> datetime:
    """The answer's time plus `working_days` working days (Monday to Friday, Stockholm time);
    an answer at a weekend counts from the Monday after. Public holidays are not known here."""
    local = answered_at.astimezone(STOCKHOLM)
    while local.weekday() >= 5:
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    left = working_days
    while left > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            left -= 1
    return local
