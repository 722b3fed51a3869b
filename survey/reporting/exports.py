"""Exports of reports: CSV (comma, or semicolon for Swedish Excel) and raw answers (XLSX: xlsx).

Every text cell that a spreadsheet could read as a formula is escaped (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.models import Actor, Response, Survey
from survey.reporting.report import CASE_ITEMS, CONTACT_ITEMS
from survey.reporting.report_table import report_columns, report_rows
from survey.sampling.draw import STOCKHOLM

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RAW_ANSWERS = ("overall", *CONTACT_ITEMS, *CASE_ITEMS, "resolution", "fcr")


def escape_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Counted:
    """Rows passed through, counted (for the audit entry of a streamed download)."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self._rows:
            self.count += 1
            yield row


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], semicolon: bool) -> str:
    out = io.StringIO()
    if semicolon:
        # Swedish Excel: BOM so it reads UTF-8, semicolons, and decimal commas.
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=";" if semicolon else ",", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value, semicolon) for value in row])
    return out.getvalue()


def _csv_cell(value: Any, semicolon: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        text = repr(round(value, 6))
        return text.replace(".", ",") if semicolon else text
    return escape_cell(value)


def report_csv(report: dict[str, Any], *, semicolon: bool = False) -> str:
    return csv_text(report_columns(report), report_rows(report), semicolon)


def rows_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A workbook of one sheet: the header and the rows, text cells escaped."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([escape_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _raw_answer_fields(with_comments: bool, with_agent: bool) -> list[tuple[str, Any]]:
    """The columns of the per-answer rows and what each reads."""
    fields: list[tuple[str, Any]] = [
        ("survey_id", col(Survey.id)),
        ("closed_date", col(Survey.closed_local_date)),
        ("week", col(Survey.closed_week)),
        ("month", col(Survey.closed_month)),
        ("actor", col(Actor.name)),
        ("team", col(Survey.team)),
        ("agent", col(Survey.agent)),
        ("channel", col(Survey.channel)),
        ("case_type", col(Survey.case_type)),
        ("language", col(Survey.language)),
        ("submitted_date", col(Response.submitted_at)),
        *((name, getattr(Response, name)) for name in RAW_ANSWERS),
        ("comment", col(Response.comment)),
    ]
    return [
        (name, column)
        for name, column in fields
        if (with_agent or name != "agent") and (with_comments or name != "comment")
    ]


def raw_answers_columns(with_comments: bool, *, with_agent: bool = True) -> list[str]:
    return [name for name, _ in _raw_answer_fields(with_comments, with_agent)]


def raw_answers_rows(
    session: Session, *, start: date, end: date, with_comments: bool, with_agent: bool = True
) -> Iterator[list[Any]]:
    """One row per answered survey; no contact details, dates without times; streamed."""
    fields = _raw_answer_fields(with_comments, with_agent)
    names = [name for name, _ in fields]
    closed, submitted = names.index("closed_date"), names.index("submitted_date")
    query = (
        select(*(column for _, column in fields))
        .join(Response, col(Response.survey_id) == col(Survey.id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(
            col(Survey.closed_local_date) >= start,
            col(Survey.closed_local_date) < end,
            col(Response.overall).is_not(None),
        )
        .order_by(col(Survey.closed_local_date), col(Survey.id))
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        values = list(row)
        values[closed] = values[closed].isoformat()
        values[submitted] = values[submitted].astimezone(STOCKHOLM).date().isoformat()
        yield values


def export_raw_answers(
    session: Session,
    *,
    who: str,
    start: date,
    end: date,
    with_comments: bool,
    with_agent: bool = True,
    semicolon: bool = False,
) -> str:
    """The per-answer rows as CSV (admin and dpo only), the download audited with its row
    count; commits."""
    rows = raw_answers_rows(
        session, start=start, end=end, with_comments=with_comments, with_agent=with_agent
    )
    counted = Counted(rows)
    columns = raw_answers_columns(with_comments, with_agent=with_agent)
    content = csv_text(columns, counted, semicolon)
    audit(
        session,
        who=who,
        action="export.raw_answers",
        subject=f"{start}..{end}",
        comments=with_comments,
        format="csv-sv" if semicolon else "csv",
        rows=counted.count,
    )
    session.commit()
    return content
