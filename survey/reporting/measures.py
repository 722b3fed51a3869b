"""Net Promoter Score and Customer Effort Score, for questionnaires that ask them (kinds `nps`
and `ces`, stored in Response.answers): the report's `measures`, per group and in the total.

NPS = % promoters (9-10) - % detractors (0-6), in points from -100 to 100; its 95 % interval is
NPS +- z * 100 * sqrt((p_P + p_D - (p_P - p_D)^2) / n), the variance of the difference of two
shares of one trinomial sample. CES is the mean of the 1-7 answers (higher is easier) with a t
interval. Only answered surveys (overall given) count; small groups show n alone.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlmodel import Session, col

from survey.models import Actor, Response, Survey
from survey.questionnaire import MEASURES, Questionnaire
from survey.reporting import stats
from survey.reporting.counting import count_if
from survey.reporting.grouping import key_label, survey_key_column

PROMOTER, DETRACTOR = 9, 6  # promoters answer 9 or 10, detractors 0 to 6


def measures_of(questionnaires: Iterable[Questionnaire]) -> dict[str, str]:
    """Question id -> kind (nps or ces) over the questionnaires; one kind per id."""
    found: dict[str, str] = {}
    for questionnaire in questionnaires:
        for q in questionnaire.questions:
            if q.kind in MEASURES:
                found.setdefault(q.id, q.kind)
    return found


def nps(promoters: int, detractors: int, n: int) -> dict[str, Any]:
    """The NPS and its 95 % interval (None without answers)."""
    if n == 0:
        return {"n": 0, "score": None, "ci95": None}
    p_p, p_d = promoters / n, detractors / n
    score = 100 * (p_p - p_d)
    half = stats.Z95 * 100 * math.sqrt(max(p_p + p_d - (p_p - p_d) ** 2, 0.0) / n)
    return {"n": n, "score": score, "ci95": [max(score - half, -100.0), min(score + half, 100.0)]}


def ces(n: int, total: int, total_sq: int) -> dict[str, Any]:
    """The CES mean and its t interval."""
    interval = stats.t_interval(n, total, total_sq)
    return {
        "n": n,
        "mean": stats.mean_from_sums(n, total),
        "ci95": list(interval) if interval else None,
    }


def _columns(measures: Mapping[str, str]) -> list[ColumnElement[Any]]:
    columns: list[ColumnElement[Any]] = []
    for qid, kind in measures.items():
        value = col(Response.answers)[qid].as_integer()
        columns.append(func.count(value).label(f"{qid}__n"))
        if kind == "nps":
            columns.append(count_if(value >= PROMOTER).label(f"{qid}__promoters"))
            columns.append(count_if(value <= DETRACTOR).label(f"{qid}__detractors"))
        else:
            columns.append(func.coalesce(func.sum(value), 0).label(f"{qid}__sum"))
            columns.append(func.coalesce(func.sum(value * value), 0).label(f"{qid}__sq"))
    return columns


def measure_sums(
    session: Session, conditions: list[Any], group_by: tuple[str, ...], measures: Mapping[str, str]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Per group (the values of its keys), each measure's counts and sums."""
    if not measures:
        return {}
    keys = [survey_key_column(k) for k in group_by]
    query = (
        select(*keys, *_columns(measures))
        .select_from(Survey)
        .join(
            Response,
            and_(col(Response.survey_id) == col(Survey.id), col(Response.overall).is_not(None)),
        )
        .where(*conditions)
        .group_by(*keys)
    )
    if "actor" in group_by:
        query = query.join(Actor, col(Actor.id) == col(Survey.actor_id))
    found: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in session.execute(query).mappings():
        values = dict(row)
        group = tuple(_key(values.pop(key_label(k))) for k in group_by)
        found[group] = {name: int(v or 0) for name, v in values.items()}
    return found


def _key(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def measure_figures(
    sums: Mapping[str, int], measures: Mapping[str, str], *, suppressed: bool | Collection[str]
) -> dict[str, Any]:
    """The `measures` object of one group: each question's figures, n alone when suppressed
    (every question, or those named)."""
    figures: dict[str, Any] = {}
    for qid, kind in measures.items():
        n = sums.get(f"{qid}__n", 0)
        if kind == "nps":
            result = nps(sums.get(f"{qid}__promoters", 0), sums.get(f"{qid}__detractors", 0), n)
        else:
            result = ces(n, sums.get(f"{qid}__sum", 0), sums.get(f"{qid}__sq", 0))
        if suppressed is True or (not isinstance(suppressed, bool) and qid in suppressed):
            result = {name: (value if name == "n" else None) for name, value in result.items()}
        figures[qid] = {"kind": kind, **result}
    return figures
