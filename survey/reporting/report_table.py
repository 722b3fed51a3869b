"""A report as a table: its columns and one row per group, then the total (CSV and XLSX)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from survey.reporting.funnel import CANCEL_CAUSES, SUPPRESSION_REASONS, SURVEY_STAGES
from survey.reporting.report import CASE_ITEMS, CONTACT_ITEMS, RESOLUTIONS, ROTATING_ITEMS

# The answered figures of a group, as the actor's own key sees them too (actor_workbook.py).
ANSWERED_COLUMNS = [
    "overall_n",
    "overall_mean",
    "overall_mean_ci95_low",
    "overall_mean_ci95_high",
    "csat",
    "csat_ci95_low",
    "csat_ci95_high",
    "contact_experience_mean",
    *(f"{item}_mean" for item in CONTACT_ITEMS),
    "case_handling_mean",
    *(f"{item}_mean" for item in CASE_ITEMS),
    "resolution_n",
    *(f"resolution_{a}" for a in RESOLUTIONS),
    "fcr_n",
    "fcr_share",
]


def report_columns(report: dict[str, Any]) -> list[str]:
    columns = [*report["group_by"], "sent", "responses", "response_rate", "declined", "opted_out"]
    columns += ANSWERED_COLUMNS
    columns += [f"funnel_{name}" for name in FUNNEL_COLUMNS]
    columns += ["rr1", "coop1", "ref1"]
    columns += ["weighted_mean", "weighted_mean_ci95_low", "weighted_mean_ci95_high"]
    columns += ["weighted_csat", "weighted_csat_ci95_low", "weighted_csat_ci95_high"]
    columns += ["effective_n"]
    # Matrix sampling: per item, the answered surveys that asked it and the share that scored it.
    columns += [f"{item}_{figure}" for item in ROTATING_ITEMS for figure in ITEM_FIGURES]
    return columns


ITEM_FIGURES = ("asked", "response_rate")


# The funnel's stages, flat: suppressions and cancellations by their reason.
FUNNEL_COLUMNS = (
    "closed_cases",
    "drawn",
    *(f"suppressed_{r}" for r in SUPPRESSION_REASONS),
    "scheduled",
    *SURVEY_STAGES,
    *(f"cancelled_{c}" for c in CANCEL_CAUSES),
)


def _design(group: dict[str, Any]) -> list[Any]:
    if "funnel" not in group:  # a snapshot from before the funnel
        return [None] * (len(FUNNEL_COLUMNS) + 10)
    stages = group["funnel"]
    flat = {
        **{k: v for k, v in stages.items() if not isinstance(v, dict)},
        **{f"suppressed_{r}": n for r, n in stages["suppressed"].items()},
        **{f"cancelled_{c}": n for c, n in stages["cancelled_before_send"].items()},
    }
    rates, weighted = group["rates"], group["weighted"]["overall"]
    return [
        *(flat[name] for name in FUNNEL_COLUMNS),
        rates["response"],
        rates["cooperation"],
        rates["refusal"],
        weighted["mean"],
        *(weighted["mean_ci95"] or [None, None]),
        weighted["csat"],
        *(weighted["csat_ci95"] or [None, None]),
        weighted["effective_n"],
    ]


def answered_figures(group: dict[str, Any]) -> list[Any]:
    """A group's values of ANSWERED_COLUMNS."""
    overall = group["overall"]
    ce, ch = group["contact_experience"], group["case_handling"]
    return [
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


def _flat(group: dict[str, Any]) -> list[Any]:
    return [
        group["sent"],
        group["responses"],
        group["response_rate"],
        group["declined"],
        group["opted_out"],
        *answered_figures(group),
        *_design(group),
        *_item_rates(group),
    ]


def _item_rates(group: dict[str, Any]) -> list[Any]:
    """Each rotating item's asked count and response rate (None in a snapshot from before)."""
    found = {
        **group["contact_experience"]["items"],
        **group["case_handling"]["items"],
        "resolution": group["resolution"],
        "fcr": group["fcr"],
    }
    return [found[item].get(figure) for item in ROTATING_ITEMS for figure in ITEM_FIGURES]


def report_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    """The report as rows: one per group, then the total (its key cells say 'total')."""
    for group in report["groups"]:
        yield [*(group["key"][k] for k in report["group_by"]), *_flat(group)]
    total_key = ["total"] + [None] * (len(report["group_by"]) - 1) if report["group_by"] else []
    yield [*total_key, *_flat(report["total"])]
