"""Exports of reports: CSV (comma, or semicolon for Swedish Excel), XLSX, and raw answers.

Every text cell that a spreadsheet could read as a formula is escaped (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.models import Actor, Response, Survey
from survey.reporting.disclosure_control import cells_are_whole, needs_whole_periods
from survey.reporting.disclosures import DISCLOSED_POLICY
from survey.reporting.grouping import TIME_KEYS
from survey.reporting.report import (
    CASE_ITEMS,
    CONTACT_ITEMS,
    ReportRequest,
    satisfaction_report,
)
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


def report_xlsx(reports: Sequence[dict[str, Any]]) -> bytes:
    """A workbook with one sheet per report (grouping); time groupings get a trend chart."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for report in reports:
        title = "+".join(report["group_by"]) or "total"
        sheet = book.create_sheet(title[:31])
        columns = report_columns(report)
        sheet.append(columns)
        rows = 0
        for row in report_rows(report):
            sheet.append([escape_cell(v) for v in row])
            rows += 1
        if len(report["group_by"]) == 1 and report["group_by"][0] in TIME_KEYS and rows > 1:
            _trend_chart(sheet, columns, rows - 1)
    if reports and "disclosures" in reports[0]:  # snapshots before 2026-11-30 have none
        _disclosure_sheet(book.create_sheet("disclosures"), reports[0]["disclosures"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _disclosure_sheet(sheet: Any, disclosures: dict[str, Any]) -> None:
    """The policy versions in force, and the drawn cases suppressed as too old per actor."""
    sheet.append(
        [
            "policy effective_from",
            "rate",
            "frequency_cap_days",
            "max_contact_age_hours",
            "quiet_hours",
        ]
    )
    for policy in disclosures["policies"]:
        sheet.append(
            [policy["effective_from"], *(escape_cell(policy[name]) for name in DISCLOSED_POLICY)]
        )
    sheet.append([])
    sheet.append(["actor", "drawn", "too_old", "warning"])
    for actor, counts in disclosures["too_old_by_actor"].items():
        sheet.append([escape_cell(actor), counts["drawn"], counts["too_old"], counts["warning"]])


def _trend_chart(sheet: Any, columns: list[str], groups: int) -> None:
    """A line chart each for the overall mean and CSAT (scales differ), right of the data."""
    anchor_column = get_column_letter(len(columns) + 2)
    for i, (name, title) in enumerate((("overall_mean", "Overall mean"), ("csat", "CSAT"))):
        chart = LineChart()
        chart.title = f"{title} by {columns[0]}"
        chart.x_axis.title = columns[0]
        index = columns.index(name) + 1
        chart.add_data(
            Reference(sheet, min_col=index, min_row=1, max_row=groups + 1), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=groups + 1))
        sheet.add_chart(chart, f"{anchor_column}{2 + i * 16}")


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


def workbook_requests(request: ReportRequest) -> list[ReportRequest]:
    """The sheets of a workbook: the grouping asked for, each key alone, and a monthly trend."""
    keys = request.group_by
    sheets = [request]
    if len(keys) > 1:
        sheets += [replace(request, group_by=(k,)) for k in keys]
    if not any(k in TIME_KEYS for k in keys):
        sheets.append(replace(request, group_by=("month",)))
    # A sheet of one key alone must keep the disclosure rule too: agent over several weeks
    # (the request was agent by week) would show what no report may.
    return [
        sheet
        for sheet in sheets
        if not needs_whole_periods(sheet.group_by)
        or cells_are_whole(sheet.start, sheet.end, sheet.group_by)
    ]


def workbook(session: Session, request: ReportRequest, *, min_group_size: int) -> bytes:
    """The XLSX export of a report request (see workbook_requests for its sheets)."""
    return report_xlsx(
        [
            satisfaction_report(session, sheet, min_group_size=min_group_size)
            for sheet in workbook_requests(request)
        ]
    )
