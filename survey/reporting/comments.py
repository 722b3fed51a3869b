"""The comments list for analysts (SPEC section 6): comment texts with actor, team and ISO week
only, in groups of at least the minimum size.

Nothing in it can link a comment to a row of another export: no agent, no date, no score, and
the comments of a group are sorted by their text, not by time or survey. The page's filters
narrow the comments before they are grouped, so that every group shown still has the minimum
size; a group whose comments all come from one agent is left out as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.models import Actor, Response, Survey
from survey.reporting.comment_filters import CommentFilter, conditions
from survey.reporting.disclosure_control import RULES, WHOLE_WEEKS, is_monday
from survey.reporting.exports import csv_text, rows_xlsx
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


def comment_list(
    session: Session,
    *,
    start: date,
    end: date,
    min_group_size: int,
    found: CommentFilter | None = None,
) -> CommentList:
    """The period's comments (narrowed by the filter, if any) in (actor, team, week) groups of
    at least min_group_size from more than one agent, each group's comments sorted by text;
    the other groups left out and counted."""
    check_weeks(start, end)
    found = found or CommentFilter(start, end)
    if found.agent is not None:
        raise InvalidReportRequest("agent: not a filter of the comments list", params=("agent",))
    text = func.trim(col(Response.comment))
    query = (
        select(col(Actor.name), col(Survey.team), col(Survey.closed_week), text, col(Survey.agent))
        .select_from(Survey)
        .join(Response, col(Response.survey_id) == col(Survey.id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(*conditions(replace(found, start=start, end=end)))
    )
    groups: dict[GroupKey, list[str]] = {}
    agents: dict[GroupKey, set[str | None]] = {}
    for actor, team, week, comment, agent in session.execute(query):
        groups.setdefault((actor, team, week), []).append(comment)
        agents.setdefault((actor, team, week), set()).add(agent)
    kept = {
        key: texts
        for key, texts in groups.items()
        if len(texts) >= min_group_size and not _one_known_agent(agents[key])
    }
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


def _one_known_agent(agents: set[str | None]) -> bool:
    """All comments of a group from one named agent: the list would be that agent's."""
    return len(agents) == 1 and None not in agents


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
    found: CommentFilter | None = None,
    fmt: str | None = None,
) -> str | bytes:
    """The comments list as CSV (or XLSX with fmt="xlsx"), the download recorded in the audit
    log with the filter that narrowed it; commits."""
    listed = comment_list(session, start=start, end=end, min_group_size=min_group_size, found=found)
    fmt = fmt or ("csv-sv" if semicolon else "csv")
    content: str | bytes
    if fmt == "xlsx":
        content = rows_xlsx("comments", COLUMNS, listed.rows)
    else:
        content = csv_text(COLUMNS, listed.rows, fmt == "csv-sv")
    narrowed = found is not None and found.narrows()
    audit(
        session,
        who=who,
        action="export.comments",
        subject=f"{start}..{end}",
        format=fmt,
        rows=len(listed.rows),
        left_out_groups=listed.left_out_groups,
        left_out_comments=listed.left_out_comments,
        **({"filter": found.query_args()} if found is not None and narrowed else {}),
    )
    session.commit()
    return content
