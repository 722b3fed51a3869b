"""The filters of the comments page (SPEC section 6): what each role may narrow a list by, parsed
from the page's query, and the SQL conditions they make.

Analysts get no agent filter and whole ISO weeks only; `SURVEY_AGENT_REPORTING=off` takes the
agent filter from everyone. Each refusal names the parameter it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import ColumnElement, func
from sqlmodel import col

from survey.models import Actor, CommentHandling, Response, Survey
from survey.reporting.report import InvalidReportRequest

SCORES = range(1, 6)
TEXT_FILTERS = ("actor", "team", "agent", "channel", "case_type")
HANDLED_CHOICES = ("open", "handled")
MAX_SEARCH = 200


@dataclass(frozen=True)
class CommentFilter:
    start: date
    end: date  # exclusive
    actor: str | None = None
    team: str | None = None
    agent: str | None = None
    channel: str | None = None
    case_type: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    text: str | None = None
    handled: str | None = None  # "open" or "handled"; admin and dpo only

    def narrows(self) -> bool:
        """Whether anything beyond the period narrows the list."""
        return any(
            getattr(self, f.name) is not None
            for f in fields(self)
            if f.name not in ("start", "end")
        )

    def query_args(self) -> dict[str, str]:
        """The filter as the page's query parameters (for links to the pages and exports)."""
        args = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name not in ("start", "end") and value is not None:
                args["q" if f.name == "text" else f.name] = str(value)
        return args


def _refused(param: str, message: str) -> InvalidReportRequest:
    return InvalidReportRequest(f"{param}: {message}", params=(param,))


def _score(args: Mapping[str, str], param: str) -> int | None:
    raw = (args.get(param) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in SCORES:
        raise _refused(param, f"must be a whole number from 1 to 5, not {raw[:20]!r}")
    return int(raw)


def parse_filter(
    args: Mapping[str, str], *, start: date, end: date, analyst: bool, agent_reporting: bool
) -> CommentFilter:
    """The filter of a query; InvalidReportRequest naming the parameter when one is refused."""
    texts: dict[str, str | None] = {}
    for name in TEXT_FILTERS:
        value = (args.get(name) or "").strip()
        texts[name] = value[:100] or None
    if texts["agent"] is not None and (analyst or not agent_reporting):
        reason = "analysts" if analyst else "this organisation (SURVEY_AGENT_REPORTING=off)"
        raise _refused("agent", f"comments cannot be filtered by agent for {reason}")
    low, high = _score(args, "score_min"), _score(args, "score_max")
    if low is not None and high is not None and low > high:
        raise _refused("score_min", f"must not be above score_max ({low} > {high})")
    text = (args.get("q") or "").strip() or None
    if text is not None and len(text) > MAX_SEARCH:
        raise _refused("q", f"the search text is longer than {MAX_SEARCH} characters")
    handled = (args.get("handled") or "").strip() or None
    if handled is not None and (analyst or handled not in HANDLED_CHOICES):
        allowed = "not a filter for analysts" if analyst else "must be 'open' or 'handled'"
        raise _refused("handled", allowed)
    return CommentFilter(
        start, end, **texts, score_min=low, score_max=high, text=text, handled=handled
    )


def conditions(found: CommentFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a filter over Survey joined with Response and Actor (and, for
    the handled filter, CommentHandling outer-joined); only non-empty comments."""
    comment = col(Response.comment)
    where: list[ColumnElement[bool]] = [
        col(Survey.closed_local_date) >= found.start,
        col(Survey.closed_local_date) < found.end,
        comment.is_not(None),
        func.trim(comment) != "",
    ]
    columns = {
        "actor": col(Actor.name),
        "team": col(Survey.team),
        "agent": col(Survey.agent),
        "channel": col(Survey.channel),
        "case_type": col(Survey.case_type),
    }
    for name, column in columns.items():
        value = getattr(found, name)
        if value is not None:
            where.append(column == value)
    if found.score_min is not None:
        where.append(col(Response.overall) >= found.score_min)
    if found.score_max is not None:
        where.append(col(Response.overall) <= found.score_max)
    if found.text is not None:
        where.append(comment.icontains(found.text, autoescape=True))
    if found.handled is not None:
        handled = col(CommentHandling.id).is_not(None)
        where.append(handled if found.handled == "handled" else ~handled)
    return where
