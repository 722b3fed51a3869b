"""The comments list for analysts (SPEC section 6): comment texts with actor, team and ISO week
only, in groups of at least the minimum size.

Nothing in it can link a comment to a row of another export: no agent, no date, no score, and
the comments of a group are sorted by their text, not by time or survey.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.models import Actor, Response, Survey
from survey.reporting.disclosure_control import RULES, WHOLE_WEEKS, is_monday
from survey.reporting.exports import csv_text
from survey.reporting.report import InvalidReportRequest

COLUMNS = ("actor", "team", "week", "comment")
GroupKey = tuple[str, str | None, str]  # actor, team, ISO week


@dataclass(frozen=True)
class CommentList:
    start: date
    end: date
    rows: list[tuple[str, str | None, str, str]] = field(default_factory=list)
    left_out_groups: int = 0
    left_out_comments: int = 0


def check_weeks(start: date, end: date) -> None:
    """The list is per ISO week: from/to on Mondays, so that no request cuts a week (two
    requests a day apart would otherwise date a comment by their difference)."""
    if not (is_monday(start) and is_monday(end)):
        params, message = RULES[WHOLE_WEEKS]
        raise InvalidReportRequest(message, params=params, rule=WHOLE_WEEKS)


def comment_list(session: Session, *, start: date, end: date, min_group_size: int) -> CommentList:
    """The period's comments in (actor, team, week) groups of at least min_group_size, each
    group's comments sorted by text; smaller groups left out and counted."""
    check_weeks(start, end)
    text = func.trim(col(Response.comment))
    query = (
        select(col(Actor.name), col(Survey.team), col(Survey.closed_week), text)
        .select_from(Survey)
        .join(Response, col(Response.survey_id) == col(Survey.id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(
            col(Survey.closed_local_date) >= start,
            col(Survey.closed_local_date) < end,
            col(Response.comment).is_not(None),
            text != "",
        )
    )
    groups: dict[GroupKey, list[str]] = {}
    for actor, team, week, comment in session.execute(query):
        groups.setdefault((actor, team, week), []).append(comment)
    kept = {key: texts for key, texts in groups.items() if len(texts) >= min_group_size}
    rows = [
        (actor, team, week, comment)
        for (actor, team, week), texts in sorted(kept.items(), key=lambda kv: _order(kv[0]))
        for comment in sorted(texts)
    ]
    left_out = [texts for key, texts in groups.items() if key not in kept]
    return CommentList(
        start=start,
        end=end,
        rows=rows,
        left_out_groups=len(left_out),
        left_out_comments=sum(len(texts) for texts in left_out),
    )


def _order(key: GroupKey) -> tuple[str, tuple[bool, str], str]:
    actor, team, week = key
    return actor, (team is None, team or ""), week


def export_comments(
    session: Session,
    *,
    who: str,
    start: date,
    end: date,
    min_group_size: int,
    semicolon: bool = False,
) -> str:
    """The comments list as CSV, the download recorded in the audit log; commits."""
    found = comment_list(session, start=start, end=end, min_group_size=min_group_size)
    content = csv_text(COLUMNS, found.rows, semicolon)
    audit(
        session,
        who=who,
        action="export.comments",
        subject=f"{start}..{end}",
        format="csv-sv" if semicolon else "csv",
        rows=len(found.rows),
        left_out_groups=found.left_out_groups,
        left_out_comments=found.left_out_comments,
    )
    session.commit()
    return content
