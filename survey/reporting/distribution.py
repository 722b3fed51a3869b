"""How many answered each overall score: the dashboard's distribution."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from survey.models import Response, Survey
from survey.reporting.report import ReportRequest, survey_filter


def score_distribution(
    session: Session, request: ReportRequest, *, min_group_size: int
) -> dict[int, int] | None:
    """How many answered each overall score 1-5 in the period; None below the minimum group."""
    overall = col(Response.overall)
    rows = session.execute(
        select(overall, func.count())
        .select_from(Survey)
        .join(Response, col(Response.survey_id) == col(Survey.id))
        .where(overall.is_not(None), *survey_filter(request))
        .group_by(overall)
    ).all()
    counts = {score: 0 for score in range(1, 6)}
    for score, count in rows:
        counts[int(score)] = int(count)
    if sum(counts.values()) < min_group_size:
        return None
    return counts
