"""An actor's report as a workbook: the answered figures only, as the actor's own reports key
sees them (survey.reporting.settling); a suppressed group shows its key and nothing else."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from survey.reporting.exports import escape_cell
from survey.reporting.report_table import ANSWERED_COLUMNS, answered_figures


def actor_columns(group_by: Sequence[str]) -> list[str]:
    return [*group_by, "responses", *ANSWERED_COLUMNS]


def _figures(group: dict[str, Any]) -> list[Any]:
    if group.get("suppressed"):
        return ["suppressed"]
    return [group["responses"], *answered_figures(group)]


def actor_workbook(reports: Sequence[dict[str, Any]]) -> bytes:
    """One sheet per report (as_seen_by_an_actor), then its total."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for report in reports:
        group_by = list(report["group_by"])
        sheet = book.create_sheet(("+".join(group_by) or "total")[:31])
        sheet.append(actor_columns(group_by))
        # Ungrouped, the one group is the total.
        for group in report["groups"] if group_by else []:
            key = [escape_cell(group["key"][k]) for k in group_by]
            sheet.append([*key, *(escape_cell(v) for v in _figures(group))])
        total_key = ["total"] + [None] * (len(group_by) - 1) if group_by else []
        sheet.append([*total_key, *_figures(report["total"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
