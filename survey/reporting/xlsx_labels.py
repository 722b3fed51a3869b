"""The words of the XLSX report, in the report's language: human column names and their
number formats.

The column ids stay those of the machine-readable CSV (report_table.report_columns); only
the workbook shows these names. The texts are in the translation catalogues (`N_` marks them
for extraction); a workbook is also written outside a web request (CLI, the snapshot job), so
the catalogue is read here directly rather than through Flask-Babel.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from survey.reporting.funnel import CANCEL_CAUSES, SUPPRESSION_REASONS, SURVEY_STAGES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("sv", "en")


def N_(text: str) -> str:
    """Mark a text for the catalogues; it is translated where it is shown."""
    return text


@cache
def _catalogue(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [language])


def translate(text: str, language: str, **values: object) -> str:
    """A marked text in the language (sv or en), with its %(name)s values filled in."""
    return _catalogue(language if language in LANGUAGES else "sv").gettext(text) % values


KEY_LABELS = {
    "day": N_("Day"),
    "week": N_("Week"),
    "month": N_("Month"),
    "channel": N_("Channel"),
    "actor": N_("Actor"),
    "team": N_("Team"),
    "agent": N_("Agent"),
    "case_type": N_("Case type"),
    "language": N_("Language"),
}

ITEM_LABELS = {
    "response_time": N_("Waiting time (mean)"),
    "manner": N_("Manner (mean)"),
    "clarity": N_("Clarity (mean)"),
    "knowledge": N_("Knowledge (mean)"),
    "engagement": N_("Engagement (mean)"),
    "proactivity": N_("Proactivity (mean)"),
    "efficiency": N_("Efficiency (mean)"),
    "follow_up": N_("Follow-up (mean)"),
    "time_taken": N_("Time taken (mean)"),
}

SUPPRESSION_LABELS = {
    "do_not_survey": N_("Not surveyed: marked do-not-survey"),
    "opted_out": N_("Not surveyed: customer opted out"),
    "case_already_surveyed": N_("Not surveyed: case already surveyed"),
    "customer_surveyed_recently": N_("Not surveyed: customer surveyed recently"),
    "too_old": N_("Not surveyed: contact reported too late"),
    "no_reachable_address": N_("Not surveyed: no address"),
}

STAGE_LABELS = {
    "closed_cases": N_("Closed cases decided"),
    "drawn": N_("Drawn"),
    "scheduled": N_("Scheduled"),
    "sent": N_("Funnel: sent"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
    "unknown": N_("Delivery unknown"),
    "opened": N_("Opened"),
    "answered": N_("Answered"),
    "declined": N_("Funnel: declined"),
    "expired": N_("Expired"),
    "opted_out_after_send": N_("Funnel: opted out after sending"),
}

CANCEL_LABELS = {
    "do_not_survey": N_("Cancelled before sending: do-not-survey"),
    "opted_out": N_("Cancelled before sending: opted out"),
    "erasure": N_("Cancelled before sending: data erased"),
    "other": N_("Cancelled before sending: other"),
}

# Matrix sampling: per rotating item, the answered surveys that asked it and the share that
# scored it (report_table.ITEM_FIGURES).
ITEM_FIGURE_LABELS = {
    "response_time_asked": N_("Waiting time: asked"),
    "response_time_response_rate": N_("Waiting time: item response rate"),
    "manner_asked": N_("Manner: asked"),
    "manner_response_rate": N_("Manner: item response rate"),
    "clarity_asked": N_("Clarity: asked"),
    "clarity_response_rate": N_("Clarity: item response rate"),
    "knowledge_asked": N_("Knowledge: asked"),
    "knowledge_response_rate": N_("Knowledge: item response rate"),
    "engagement_asked": N_("Engagement: asked"),
    "engagement_response_rate": N_("Engagement: item response rate"),
    "proactivity_asked": N_("Proactivity: asked"),
    "proactivity_response_rate": N_("Proactivity: item response rate"),
    "efficiency_asked": N_("Efficiency: asked"),
    "efficiency_response_rate": N_("Efficiency: item response rate"),
    "follow_up_asked": N_("Follow-up: asked"),
    "follow_up_response_rate": N_("Follow-up: item response rate"),
    "time_taken_asked": N_("Time taken: asked"),
    "time_taken_response_rate": N_("Time taken: item response rate"),
    "resolution_asked": N_("Resolution: asked"),
    "resolution_response_rate": N_("Resolution: item response rate"),
    "fcr_asked": N_("First-contact resolution: asked"),
    "fcr_response_rate": N_("First-contact resolution: item response rate"),
}

COLUMN_LABELS = {
    "sent": N_("Sent"),
    "responses": N_("Responses"),
    "response_rate": N_("Response rate"),
    "declined": N_("Declined"),
    "opted_out": N_("Opted out after sending"),
    "overall_n": N_("Overall score, answers"),
    "overall_mean": N_("Overall mean (1\N{EN DASH}5)"),
    "overall_mean_ci95_low": N_("Overall mean, 95 %% CI low"),
    "overall_mean_ci95_high": N_("Overall mean, 95 %% CI high"),
    "csat": N_("CSAT (4 or 5)"),
    "csat_ci95_low": N_("CSAT, 95 %% CI low"),
    "csat_ci95_high": N_("CSAT, 95 %% CI high"),
    "contact_experience_mean": N_("Contact experience (mean)"),
    **{f"{item}_mean": label for item, label in ITEM_LABELS.items()},
    "case_handling_mean": N_("Case handling (mean)"),
    "resolution_n": N_("Resolution, answers"),
    "resolution_yes": N_("Resolved: yes"),
    "resolution_partly": N_("Resolved: partly"),
    "resolution_no": N_("Resolved: no"),
    "fcr_n": N_("First-contact resolution, answers"),
    "fcr_share": N_("First-contact resolution (customer)"),
    **{f"funnel_{stage}": label for stage, label in STAGE_LABELS.items()},
    **{f"funnel_suppressed_{r}": label for r, label in SUPPRESSION_LABELS.items()},
    **{f"funnel_cancelled_{c}": label for c, label in CANCEL_LABELS.items()},
    "rr1": N_("Response rate (AAPOR RR1)"),
    "coop1": N_("Cooperation rate (AAPOR COOP1)"),
    "ref1": N_("Refusal rate (AAPOR REF1)"),
    "weighted_mean": N_("Weighted overall mean"),
    "weighted_mean_ci95_low": N_("Weighted overall mean, 95 %% CI low"),
    "weighted_mean_ci95_high": N_("Weighted overall mean, 95 %% CI high"),
    "weighted_csat": N_("Weighted CSAT"),
    "weighted_csat_ci95_low": N_("Weighted CSAT, 95 %% CI low"),
    "weighted_csat_ci95_high": N_("Weighted CSAT, 95 %% CI high"),
    "effective_n": N_("Effective number of answers (weighted)"),
    **ITEM_FIGURE_LABELS,
}
assert set(SUPPRESSION_LABELS) == set(SUPPRESSION_REASONS)
assert set(CANCEL_LABELS) == set(CANCEL_CAUSES)
assert set(STAGE_LABELS) >= set(SURVEY_STAGES)

# Number formats: shares as percent, means with two decimals, counts whole.
PERCENT, MEAN, DECIMAL, COUNT = "0.0 %", "0.00", "0.0", "0"
SHARES = {
    "response_rate",
    "csat",
    "csat_ci95_low",
    "csat_ci95_high",
    "resolution_yes",
    "resolution_partly",
    "resolution_no",
    "fcr_share",
    "rr1",
    "coop1",
    "ref1",
    "weighted_csat",
    "weighted_csat_ci95_low",
    "weighted_csat_ci95_high",
    *(column for column in ITEM_FIGURE_LABELS if column.endswith("_response_rate")),
}


def number_format(column: str) -> str:
    if column in SHARES:
        return PERCENT
    if column == "effective_n":
        return DECIMAL
    return MEAN if "mean" in column else COUNT


def rounded(column: str, value: float) -> float:
    """The value as the workbook shows it (so a copied cell holds what one reads)."""
    fmt = number_format(column)
    digits = {PERCENT: 3, MEAN: 2, DECIMAL: 1}.get(fmt, 0)
    return round(value, digits) if digits else round(value)


def column_label(column: str, language: str) -> str:
    text = KEY_LABELS.get(column) or COLUMN_LABELS.get(column)
    return translate(text, language) if text else column
