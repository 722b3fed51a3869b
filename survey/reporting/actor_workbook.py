"""An actor's report as a workbook: the answered figures only, as the actor's own reports key
sees them (survey.reporting.settling); a suppressed group shows its key and nothing else."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from survey.reporting.exports import escape_cell
from survey.reporting.report import CASE_ITEMS, CONTACT_ITEMS, RESOLUTIONS


def actor_columns(group_by: Sequence[str]) -> list[str]:
    columns = [*group_by, "responses", "overall_n", "overall_mean"]
    columns += ["overall_mean_ci95_low", "overall_mean_ci95_high"]
    columns += ["csat", "csat_ci95_low", "csat_ci95_high", "contact_experience_mean"]
    columns += [f"{item}_mean" for item in CONTACT_ITEMS]
    columns += ["case_handling_mean", *(f"{item}_mean" for item in CASE_ITEMS)]
    columns += ["resolution_n", *(f"resolution_{a}" for a in RESOLUTIONS), "fcr_n", "fcr_share"]
    return columns


def _figures(group: dict[str, Any]) -> list[Any]:
    if group.get("suppressed"):
        return ["suppressed"]
    overall = group["overall"]
    ce, ch = group["contact_experience"], group["case_handling"]
    return [
        group["responses"],
        overall["n"],
        overall["mean"],
        *(overall["mean_ci95"] or [None, None]),
        overall["csat"],
        *(overall["csat_ci95"] or [None, None]),
        ce["mean"],
        *(ce["items"][item]["mean"] for item in CONTACT_ITEMS),
        ch["mean"],
        *(ch["items"][item]["mean"] for item in CASE_ITEMS),
        group["resolution"]["n"],
        *(group["resolution"][a] for a in RESOLUTIONS),
        group["fcr"]["n"],
        group["fcr"]["share"],
    ]


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
