"""The comments list for analysts (SPEC section 6): comment texts with actor, team and ISO week
only, in groups of at least the minimum size.

Nothing in it can link a comment to a row of another export: no agent, no date, no score, and
the comments of a group are sorted by their text, not by time or survey. The page's filters
narrow the comments before they are grouped, so that every group shown still has the minimum
size; a group whose comments all come from one agent is left out as well, and so is a group
whose comments left out by the filter would break either rule (comparing a filtered list with
the unfiltered one would single them out).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import and_, case, func, select, true
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
    """The period's comments (narrowed by the filter, if any) in (actor, team, week) groups,
    each group's comments sorted by text. A group is listed when its comments matching the
    filter are at least min_group_size from more than one agent, and so are the group's
    comments the filter leaves out, if any: a filtered list compared with the unfiltered one
    then singles out no fewer comments than either shows. The other groups are counted."""
    check_weeks(start, end)
    found = replace(found or CommentFilter(start, end), start=start, end=end)
    if found.agent is not None or found.handled is not None:
        name = "agent" if found.agent is not None else "handled"
        raise InvalidReportRequest(f"{name}: not a filter of the comments list", params=(name,))
    matches = and_(*conditions(found)) if found.narrows() else true()
    query = (
        select(
            col(Actor.name),
            col(Survey.team),
            col(Survey.closed_week),
            func.trim(col(Response.comment)),
            col(Survey.agent),
            case((matches, 1), else_=0),
        )
        .select_from(Survey)
        .join(Response, col(Response.survey_id) == col(Survey.id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(*conditions(CommentFilter(start, end)))
    )
    groups: dict[GroupKey, tuple[_Part, _Part]] = {}
    for actor, team, week, comment, agent, matched in session.execute(query):
        parts = groups.setdefault((actor, team, week), (_Part(), _Part()))
        parts[0 if matched else 1].add(comment, agent)
    kept = {
        key: shown.texts
        for key, (shown, other) in groups.items()
        if shown.listable(min_group_size) and (not other.texts or other.listable(min_group_size))
    }
    rows = [
        (actor, team, week, comment)
        for (actor, team, week), texts in sorted(kept.items(), key=lambda kv: _order(kv[0]))
        for comment in sorted(texts)
    ]
    left_out = [
        shown.texts for key, (shown, _) in groups.items() if shown.texts and key not in kept
    ]
    return CommentList(
        start=start,
        end=end,
        rows=rows,
        left_out_groups=len(left_out),
        left_out_comments=sum(len(texts) for texts in left_out),
    )


@dataclass
class _Part:
    """The comments of a group that match the filter, or those that do not."""

    texts: list[str] = field(default_factory=list)
    agents: set[str | None] = field(default_factory=set)

    def add(self, text: str, agent: str | None) -> None:
        self.texts.append(text)
        self.agents.add(agent)

    def listable(self, min_group_size: int) -> bool:
        """At least the minimum size, and not all from one named agent (the list would be
        that agent's)."""
        one_agent = len(self.agents) == 1 and None not in self.agents
        return len(self.texts) >= min_group_size and not one_agent


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
