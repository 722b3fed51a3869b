"""Fairness signals that catch steering: can the measured influence who is surveyed?

An actor (or its agent) that cannot see the draw can still steer it: mark later contacts of
drawn cases do_not_survey, register opt-outs for unhappy customers, split one customer's
contact into several cases, or add contacts to cases decided long ago. Each leaves a share that
stands out from the rest of the organisation: the units and their measures of SPEC section 6
(survey.reporting.steering explains the limits and the flags, fairness_units the counting).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from survey.reporting.fairness_reads import (
    cancellations,
    contact_facts,
    staff_opt_out_hashes,
    survey_counts,
)
from survey.reporting.fairness_units import fairness_units
from survey.reporting.kpi import period_bounds
from survey.reporting.report import InvalidReportRequest, ReportRequest

# The fairness report reads every contact of its period into memory: at most a year of them.
MAX_DAYS = 366


def fairness_report(
    session: Session, request: ReportRequest, *, identifier_key: str, agent_reporting: bool
) -> dict[str, Any]:
    """`{"from", "to", "units", "organisation"}`: the units of SPEC section 6, and the whole
    organisation's rates (the funnel plots' centre lines). No agent rows unless
    `agent_reporting`. InvalidReportRequest for a period longer than MAX_DAYS."""
    if (request.end - request.start).days > MAX_DAYS:
        raise InvalidReportRequest(f"the fairness report covers at most {MAX_DAYS} days")
    low, high = period_bounds(request.start, request.end)
    units, organisation = fairness_units(
        contact_facts(session, low, high, identifier_key=identifier_key),
        staff_hashes=staff_opt_out_hashes(session, low, high),
        cancellations=cancellations(session, low, high),
        surveys=survey_counts(session, low, high),
        agent_reporting=agent_reporting,
    )
    return {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "units": units,
        "organisation": organisation,
    }


def published(report: dict[str, Any]) -> dict[str, Any]:
    """The report as the API answers it (SPEC section 6): period and units."""
    return {"from": report["from"], "to": report["to"], "units": report["units"]}
