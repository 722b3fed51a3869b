"""The XLSX report a manager opens and reads: a title sheet, one sheet per grouping asked for
(human column names in the report's language, rounded values, percent formats, frozen header),
a trend chart on each sheet grouped by time, and the disclosures.

A suppressed score says so ("dold (< 5 svar)"); an empty cell means there is no data.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from survey.reporting.disclosures import DISCLOSED_POLICY
from survey.reporting.exports import escape_cell
from survey.reporting.grouping import TIME_KEYS
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.reporting.report_table import report_columns, report_rows
from survey.reporting.xlsx_charts import add_trend_charts
from survey.reporting.xlsx_labels import (
    KEY_LABELS,
    N_,
    column_label,
    number_format,
    rounded,
    translate,
)
from survey.sampling.draw import STOCKHOLM

BOLD = Font(bold=True)
HIDDEN_FONT = Font(italic=True, color="666666")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
HIDDEN_MEANS = N_(
    "Too few answers to show the scores without risk of telling who answered, or hidden so "
    "that they cannot be worked out from the other groups and the total."
)
POLICY_LABELS = {
    "effective_from": N_("Effective from"),
    "rate": N_("Sampling rate"),
    "frequency_cap_days": N_("Frequency cap (days)"),
    "max_contact_age_hours": N_("Maximum contact age (hours)"),
    "quiet_hours": N_("Quiet hours"),
}


@dataclass(frozen=True)
class WorkbookInfo:
    """What the title sheet says beside the figures, and the language of the workbook."""

    organisation: str
    min_group_size: int
    language: str = "sv"
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    heading: str = ""  # e.g. which snapshot

    def t(self, text: str, **values: object) -> str:
        return translate(text, self.language, **values)

    def hidden(self) -> str:
        return self.t(N_("hidden (< %(n)s answers)"), n=self.min_group_size)


def workbook(
    session: Session, request: ReportRequest, *, min_group_size: int, info: WorkbookInfo
) -> bytes:
    """The XLSX export of a report request: only the grouping asked for."""
    report = satisfaction_report(session, request, min_group_size=min_group_size)
    return report_xlsx([report], info)


def report_xlsx(reports: Sequence[dict[str, Any]], info: WorkbookInfo) -> bytes:
    """A workbook with a title sheet, one sheet per report (grouping), the disclosures."""
    book = Workbook()
    title_sheet = book.active
    assert title_sheet is not None
    titles = []
    for report in reports:
        name = sheet_title(report["group_by"], info)
        titles.append(name)
        _report_sheet(book.create_sheet(name[:31]), report, info)
    _title_sheet(title_sheet, reports, titles, info)
    if reports and reports[0].get("disclosures"):  # snapshots before 2026-11-30 have none
        _disclosure_sheet(book.create_sheet(info.t(N_("Disclosures"))), reports[0], info)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_title(group_by: Sequence[str], info: WorkbookInfo) -> str:
    if not group_by:
        return info.t(N_("Total"))
    return " + ".join(info.t(KEY_LABELS[key]) for key in group_by)


def period_text(start: str, end: str) -> str:
    """The period with its last day (the report's `to` is exclusive)."""
    last = date.fromisoformat(end) - timedelta(days=1)
    return f"{start} \N{EN DASH} {last.isoformat()}"


OVERALL_COLUMNS = (
    "overall_mean",
    "overall_mean_ci95_low",
    "overall_mean_ci95_high",
    "csat",
    "csat_ci95_low",
    "csat_ci95_high",
    "weighted_mean",
    "weighted_mean_ci95_low",
    "weighted_mean_ci95_high",
    "weighted_csat",
    "weighted_csat_ci95_low",
    "weighted_csat_ci95_high",
    "effective_n",
)


def hidden_columns(group: dict[str, Any]) -> set[str]:
    """The columns whose figure had answers but is withheld: the whole group's scores when it
    is too small, or single figures hidden so that another group's cannot be worked out."""
    hidden: set[str] = set()
    if group["responses"] and group["overall"]["mean"] is None:
        hidden.update(OVERALL_COLUMNS)
    for part in ("contact_experience", "case_handling"):
        items = group[part]["items"]
        for item, figures in items.items():
            if figures["n"] and figures["mean"] is None:
                hidden.add(f"{item}_mean")
        if any(f["n"] for f in items.values()) and group[part]["mean"] is None:
            hidden.add(f"{part}_mean")
    resolution = group["resolution"]
    if resolution["n"] and resolution.get("yes") is None:
        hidden.update(f"resolution_{a}" for a in ("yes", "partly", "no"))
    if group["fcr"]["n"] and group["fcr"]["share"] is None:
        hidden.add("fcr_share")
    return hidden


def _report_sheet(sheet: Worksheet, report: dict[str, Any], info: WorkbookInfo) -> None:
    keys = report["group_by"]
    columns = report_columns(report)
    if not keys:  # the total alone: its period names the row
        columns = ["period", *columns]
    header = [
        info.t(N_("Period")) if c == "period" else column_label(c, info.language) for c in columns
    ]
    sheet.append(header)
    groups = [*report["groups"], report["total"]]
    rows = list(zip(groups, report_rows(report), strict=True))
    if not keys:  # the one group is the total: one row, named by its period
        rows = [(report["total"], [period_text(report["from"], report["to"]), *rows[-1][1]])]
    for row_number, (group, values) in enumerate(rows):
        row = row_number + 2
        hidden = hidden_columns(group)
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            cell = sheet.cell(row=row, column=index + 1)
            if index < max(len(keys), 1):
                cell.value = _key_cell(value, group is report["total"] and index == 0, info)
                if group is report["total"]:
                    cell.font = BOLD
            elif value is None:
                if column in hidden:
                    cell.value = info.hidden()
                    cell.font = HIDDEN_FONT
                    cell.alignment = Alignment(horizontal="right")
            else:
                cell.value = rounded(column, value)
                cell.number_format = number_format(column)
    _header_style(sheet, header, frozen_columns=max(len(keys), 1))
    if any(key in TIME_KEYS for key in keys) and report["groups"]:
        add_trend_charts(sheet, report, info.language, first_column=len(columns) + 2)


def _key_cell(value: Any, total: bool, info: WorkbookInfo) -> Any:
    if total and (value == "total" or value is None):
        return info.t(N_("Total"))
    if value is None:
        return "" if total else info.t(N_("(none)"))
    return escape_cell(value)


def _header_style(sheet: Worksheet, header: list[str], *, frozen_columns: int) -> None:
    """Bold, wrapped header; columns wide enough to read; header and keys frozen."""
    for index, label in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = BOLD
        cell.alignment = HEADER_ALIGNMENT
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(len(label), 24) + 2)
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = sheet.cell(row=2, column=frozen_columns + 1)


def _title_sheet(
    sheet: Worksheet, reports: Sequence[dict[str, Any]], titles: list[str], info: WorkbookInfo
) -> None:
    sheet.title = info.t(N_("About the report"))[:31]
    title = info.t(N_("Satisfaction report"))
    sheet.append([f"{title}: {info.heading}" if info.heading else title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    generated = info.generated_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    first: dict[str, Any] = reports[0] if reports else {}
    rows = [
        (info.t(N_("Organisation")), info.organisation),
        (info.t(N_("Period")), period_text(first["from"], first["to"]) if first else ""),
        (info.t(N_("Sheets")), ", ".join(titles)),
        (info.t(N_("Generated at")), f"{generated} (Europe/Stockholm)"),
        (
            info.t(N_("Minimum group size")),
            info.t(N_("%(n)s answers"), n=info.min_group_size),
        ),
        (info.hidden(), info.t(HIDDEN_MEANS)),
        (info.t(N_("Empty cell")), info.t(N_("No data (for example no answers to the question)."))),
    ]
    for label, value in rows:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
    sheet.append([])
    sheet.append([info.t(N_("Policies in force"))])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    _policy_table(sheet, first.get("disclosures") or {}, info)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    for row in sheet.iter_rows(min_row=3, max_col=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


def _policy_table(sheet: Worksheet, disclosures: dict[str, Any], info: WorkbookInfo) -> None:
    sheet.append([info.t(POLICY_LABELS[name]) for name in ("effective_from", *DISCLOSED_POLICY)])
    for policy in disclosures.get("policies", []):
        effective = datetime.fromisoformat(policy["effective_from"]).astimezone(STOCKHOLM)
        sheet.append(
            [
                effective.strftime("%Y-%m-%d %H:%M"),
                *(escape_cell(policy[name]) for name in DISCLOSED_POLICY),
            ]
        )


def _disclosure_sheet(sheet: Worksheet, report: dict[str, Any], info: WorkbookInfo) -> None:
    """The policy versions in force, and the drawn cases suppressed as too old per actor."""
    disclosures = report["disclosures"]
    _policy_table(sheet, disclosures, info)
    sheet.append([])
    sheet.append(
        [
            info.t(N_("Actor")),
            info.t(N_("Drawn")),
            info.t(N_("Not surveyed: contact reported too late")),
            info.t(N_("Warning")),
        ]
    )
    warning = info.t(N_("Over 10 %% of the drawn cases reported too late: under-represented"))
    for actor, counts in disclosures["too_old_by_actor"].items():
        sheet.append(
            [
                escape_cell(actor),
                counts["drawn"],
                counts["too_old"],
                warning if counts["warning"] else "",
            ]
        )
    for index in range(1, 6):
        sheet.column_dimensions[get_column_letter(index)].width = 24
    sheet.freeze_panes = "A2"
