"""The comments page of admin and dpo users (SPEC section 6): one row per answer's comment with
its score, date, actor, team, agent, channel and case type, paged and exported (audited), and
the handling of a comment: marked handled with a note, by whom and when, audited.

Comments are read as stored: redacted on submission, erased with the person or on retention.
The audit entry of a handling holds the note's hash and length, not its text, so that a note
naming a person goes with the comment and leaves no copy in the hash chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.errors import NotFound, ServiceError
from survey.models import Actor, CommentHandling, Response, Survey
from survey.reporting.comment_filters import CommentFilter, conditions
from survey.reporting.exports import Counted, csv_text, rows_xlsx
from survey.sampling.draw import STOCKHOLM

PER_PAGE = 50
MAX_NOTE = 2000
COLUMNS = (
    "survey_id",
    "closed_date",
    "overall",
    "actor",
    "team",
    "agent",
    "channel",
    "case_type",
    "comment",
    "handled_by",
    "handled_at",
    "note",
)


@dataclass(frozen=True)
class CommentPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def _columns(with_agent: bool) -> tuple[str, ...]:
    return tuple(name for name in COLUMNS if with_agent or name != "agent")


def _query(found: CommentFilter) -> Select[Any]:
    return (
        select(
            col(Response.id).label("response_id"),
            col(Survey.id).label("survey_id"),
            col(Survey.closed_local_date).label("closed_date"),
            col(Response.overall).label("overall"),
            col(Actor.name).label("actor"),
            col(Survey.team).label("team"),
            col(Survey.agent).label("agent"),
            col(Survey.channel).label("channel"),
            col(Survey.case_type).label("case_type"),
            func.trim(col(Response.comment)).label("comment"),
            col(CommentHandling.handled_by).label("handled_by"),
            col(CommentHandling.handled_at).label("handled_at"),
            col(CommentHandling.note).label("note"),
        )
        .select_from(Survey)
        .join(Response, col(Response.survey_id) == col(Survey.id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .outerjoin(CommentHandling, col(CommentHandling.survey_id) == col(Survey.id))
        .where(*conditions(found))
    )


def _row(values: Any, with_agent: bool) -> dict[str, Any]:
    """A row of the page: the exported columns, and the answer's id for its handling form."""
    row = dict(values._mapping)
    if not with_agent:
        row.pop("agent")
    return row


def comment_page(
    session: Session, found: CommentFilter, *, with_agent: bool, page: int = 1
) -> CommentPage:
    """One page of the filtered comments, newest closure first."""
    total = int(session.scalar(select(func.count()).select_from(_query(found).subquery())) or 0)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    query = (
        _query(found)
        .order_by(col(Survey.closed_local_date).desc(), col(Survey.id).desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    rows = [_row(values, with_agent) for values in session.execute(query)]
    return CommentPage(rows=rows, total=total, page=page, pages=pages)


def _export_rows(session: Session, found: CommentFilter, with_agent: bool) -> Iterator[list[Any]]:
    query = _query(found).order_by(col(Survey.closed_local_date), col(Survey.id))
    for values in session.execute(query.execution_options(yield_per=1000)):
        row = _row(values, with_agent)
        row["closed_date"] = row["closed_date"].isoformat()
        if row["handled_at"] is not None:
            row["handled_at"] = (
                row["handled_at"].astimezone(STOCKHOLM).isoformat(timespec="minutes")
            )
        yield [row[name] for name in _columns(with_agent)]


def export_comment_rows(
    session: Session, found: CommentFilter, *, who: str, with_agent: bool, fmt: str
) -> str | bytes:
    """The filtered comments, one row per answer, as CSV (fmt "csv" or "csv-sv") or XLSX; the
    download audited with its filter and row count, as the per-answer rows are; commits."""
    counted = Counted(_export_rows(session, found, with_agent))
    columns = _columns(with_agent)
    content: str | bytes
    if fmt == "xlsx":
        content = rows_xlsx("comments", columns, counted)
    else:
        content = csv_text(columns, counted, fmt == "csv-sv")
    audit(
        session,
        who=who,
        action="export.comment_rows",
        subject=f"{found.start}..{found.end}",
        format=fmt,
        rows=counted.count,
        filter=found.query_args(),
    )
    session.commit()
    return content


def mark_handled(
    session: Session, *, response_id: int, note: str, who: str, now: datetime
) -> CommentHandling:
    """Mark an answer's comment handled with a note (marking it again replaces the note);
    audited with the note's hash; commits."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ServiceError(f"note: at most {MAX_NOTE} characters, not {len(note)}")
    found = session.execute(
        select(col(Response.survey_id), col(Response.comment)).where(
            col(Response.id) == response_id
        )
    ).first()
    if found is None or found.comment is None or not found.comment.strip():
        raise NotFound(f"answer {response_id}: no such answer with a comment")
    survey_id = found.survey_id
    handling = session.scalar(
        select(CommentHandling).where(col(CommentHandling.survey_id) == survey_id)
    )
    replaced = handling is not None
    if handling is None:
        handling = CommentHandling(survey_id=survey_id, handled_by=who, handled_at=now)
    handling.note, handling.handled_by, handling.handled_at = note or None, who, now
    session.add(handling)
    audit(
        session,
        who=who,
        action="comment.handled",
        subject=f"survey:{survey_id}",
        note_sha256=hashlib.sha256(note.encode()).hexdigest(),
        note_length=len(note),
        replaced=replaced,
    )
    session.commit()
    return handling
