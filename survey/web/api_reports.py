"""GET /api/v1/reports/satisfaction (the report of SPEC section 4), /reports/kpi (Bilaga 2) and
/reports/fairness (SPEC section 6).

All need the reports scope; an actor's key sees only the surveys and contacts of its actor, and
never the fairness report (the measured do not see the signals that watch them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlmodel import Session

from survey.models import ApiScope
from survey.reporting.change_report import (
    change_as_seen_by_an_actor,
    change_report,
    check_change_request,
)
from survey.reporting.fairness import fairness_report, published
from survey.reporting.grouping import GROUP_KEYS, TIME_KEYS
from survey.reporting.kpi import contact_kpis
from survey.reporting.measures import measures_of
from survey.reporting.report import InvalidReportRequest, ReportRequest, satisfaction_report
from survey.reporting.settling import as_seen_by_an_actor, kpis_as_seen_by_an_actor, settles_at
from survey.reporting.targets import judge_kpis, judge_report, load_targets
from survey.web.api_keys import current_key, require_scope
from survey.web.app import context, db_session
from survey.web.errors import problem
from survey.web.openapi import KEY_REFUSED, PATHS, answer, scoped
from survey.web.openapi import problem as problem_answer
from survey.web.report_slots import report_slot

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1")


def _answer(
    build: Callable[..., dict[str, Any]],
    actor_view: Callable[[dict[str, Any]], dict[str, Any]],
    check: Callable[[ReportRequest], None] | None = None,
    organisation_view: OrganisationView | None = None,
) -> ResponseReturnValue:
    actor_id = current_key().actor_id  # None for an organisation key: everything
    ctx = context()
    try:
        report_request = ReportRequest.parse(
            request.args.get("from"),
            request.args.get("to"),
            _group_by(),
            actor_id=actor_id,
            agent_reporting=ctx.settings.agent_reporting,
        )
        if check is not None:
            check(report_request)
    except InvalidReportRequest as exc:
        return _refused(exc)
    session: Session = db_session()
    if actor_id is not None:
        # The measured see a period only once it has settled, and only its answers: nothing
        # that tells which of their cases were drawn, sent or are still open (SPEC section 6).
        opens = settles_at(session, report_request.start, report_request.end)
        if ctx.now() < opens:
            return problem(
                403,
                "Forbidden",
                f"an actor's key sees this period once it has settled, from {opens.isoformat()}",
            )
    report = build(session, report_request, min_group_size=ctx.settings.min_group_size)
    if actor_id is not None:
        return jsonify(actor_view(report))
    if organisation_view is not None:
        report = organisation_view(session, report_request, report)
    return jsonify(report)


# Targets are judged for the organisation's keys only (survey/reporting/targets.py).
OrganisationView = Callable[[Session, ReportRequest, dict[str, Any]], dict[str, Any]]


def _with_targets(session: Session, _: ReportRequest, report: dict[str, Any]) -> dict[str, Any]:
    return judge_report(report, load_targets(session))


def _kpis_with_targets(
    session: Session, report_request: ReportRequest, kpis: dict[str, Any]
) -> dict[str, Any]:
    return judge_kpis(session, kpis, report_request, load_targets(session))


def _group_by() -> list[str]:
    """The group_by values: each names one key or several separated by commas, never none."""
    values = request.args.getlist("group_by")
    if any(not key.strip() for value in values for key in value.split(",")):
        raise InvalidReportRequest(
            f"group_by must name a key; choose from {', '.join(GROUP_KEYS)}", params=["group_by"]
        )
    return values


def _refused(exc: InvalidReportRequest) -> ResponseReturnValue:
    """400 with a problem body; a broken disclosure rule is named with its parameters."""
    if exc.rule is None:
        return problem(400, "Bad Request", str(exc))
    return problem(
        400,
        "Bad Request",
        str(exc),
        rule=exc.rule,
        invalid_params=[{"name": name, "reason": str(exc)} for name in exc.params],
    )


@bp.get("/reports/satisfaction")
@require_scope(ApiScope.reports)
@report_slot
def satisfaction() -> ResponseReturnValue:
    # The NPS and CES questions of the configured questionnaires, if any (reporting/measures.py).
    measures = measures_of(current_app.extensions["questionnaires"].values())
    return _answer(
        partial(satisfaction_report, measures=measures),
        as_seen_by_an_actor,
        organisation_view=_with_targets,
    )


@bp.get("/reports/kpi")
@require_scope(ApiScope.reports)
@report_slot
def kpi() -> ResponseReturnValue:
    """Contact-stream KPIs of Bilaga 2: repeat contacts, resolution time, complaints, FCR."""
    # The actor's own contact stream and its answered FCR: nothing of the draw.
    return _answer(contact_kpis, kpis_as_seen_by_an_actor, organisation_view=_kpis_with_targets)


@bp.get("/reports/change")
@require_scope(ApiScope.reports)
@report_slot
def change() -> ResponseReturnValue:
    """Each group's overall mean and CSAT against the previous period, with intervals."""
    return _answer(change_report, change_as_seen_by_an_actor, check_change_request)


@bp.get("/reports/fairness")
@require_scope(ApiScope.reports)
@report_slot
def fairness() -> ResponseReturnValue:
    """Steering signals per actor and agent (SPEC section 6): organisation keys only."""
    if not current_key().is_organisation:
        return problem(
            403,
            "Forbidden",
            "the fairness report needs an organisation key; an actor's key cannot read it",
        )
    settings = context().settings
    try:
        period = ReportRequest.parse(request.args.get("from"), request.args.get("to"), [])
        report = fairness_report(
            db_session(),
            period,
            identifier_key=settings.identifier_key,
            agent_reporting=settings.agent_reporting,
        )
    except InvalidReportRequest as exc:
        return problem(400, "Bad Request", str(exc))
    return jsonify(published(report))


_PERIOD_RULE = (
    "Dates YYYY-MM-DD between 1900-01-01 and 2100-12-31, `from` before `to` (`to` is "
    "exclusive; `from` = `to` is 400)."
)
_PARAMETERS = [
    {
        "name": "from",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "date"},
        "description": _PERIOD_RULE,
    },
    {
        "name": "to",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "date"},
        "description": "exclusive; after `from`. " + _PERIOD_RULE,
    },
    {
        "name": "group_by",
        "in": "query",
        "required": False,
        "explode": True,
        "description": (
            "repeat for several keys (a value may also list keys separated by commas); "
            "an empty value is 400. `day` covers at most 366 days, `week` 261 weeks, `month` "
            "120 months."
        ),
        "schema": {"type": "array", "items": {"type": "string", "enum": list(GROUP_KEYS)}},
    },
]
_BUSY = problem_answer(
    "the reports are busy (SURVEY_REPORT_CONCURRENCY), or on PostgreSQL a statement ran "
    "longer than SURVEY_REPORT_TIMEOUT_SECONDS",
    {"Retry-After": {"schema": {"type": "string"}, "required": False}},
)
for _path, _summary in (
    ("/api/v1/reports/satisfaction", "The satisfaction report (SPEC section 4)"),
    ("/api/v1/reports/kpi", "Contact-stream KPIs of Bilaga 2"),
):
    PATHS[_path] = {
        "get": {
            "summary": _summary,
            "description": (
                "An actor's key sees only its own actor's surveys and contacts, only for a "
                "settled period (403 before), and no stage before `answered`."
            ),
            **scoped("reports"),
            "parameters": _PARAMETERS,
            "responses": {
                "200": answer("the report", "Report"),
                "400": problem_answer(
                    "invalid period or grouping; `rule` and `invalid_params` name a "
                    "disclosure rule broken: `whole-calendar-periods` (agent, or team "
                    "with channel, case_type or language, only per whole ISO week or "
                    "calendar month) or `agent-reporting-off`"
                ),
                **KEY_REFUSED,
                "403": problem_answer(
                    "the key lacks the reports scope, or an actor's key asks for a period that "
                    "has not settled"
                ),
                "503": _BUSY,
            },
        }
    }
PATHS["/api/v1/reports/change"] = {
    "get": {
        "summary": "Change of the overall mean and CSAT from the previous period, with intervals",
        "description": (
            "The previous period is the one of equal length just before `from` (the calendar "
            "month before, when the period is one calendar month). Welch's interval for the "
            "mean's difference, Newcombe's hybrid score interval for CSAT's; `significant` when "
            "the interval excludes 0. Figures are null where either period's group has fewer "
            "answers than the minimum group size. An actor's key sees only its own actor's "
            "answers and only settled periods (403 before)."
        ),
        **scoped("reports"),
        "parameters": [
            *_PARAMETERS[:2],
            {
                **_PARAMETERS[2],
                "description": "repeat for several keys; time keys (day, week, month) are 400.",
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": [k for k in GROUP_KEYS if k not in TIME_KEYS],
                    },
                },
            },
        ],
        "responses": {
            "200": answer("the change report", "ChangeReport"),
            "400": problem_answer(
                "invalid period or grouping (a time key, or a disclosure rule as for the "
                "satisfaction report)"
            ),
            **KEY_REFUSED,
            "403": problem_answer(
                "the key lacks the reports scope, or an actor's key asks for a period that "
                "has not settled"
            ),
            "503": _BUSY,
        },
    }
}
PATHS["/api/v1/reports/fairness"] = {
    "get": {
        "summary": "Fairness signals that catch steering (SPEC section 6)",
        "description": (
            "Per actor (agent null) and agent: contacts, cases, customers, cancellations after "
            "the draw by cause, and the measures `do_not_survey_share`, `staff_opt_out_share`, "
            "`post_draw_cancel_share`, `split_case_share`, `reused_case_share`, `decline_rate` "
            "and `response_rate`, each `{num, den, rate, ci95, limits}` with limits "
            "p0 +- 3.09 sqrt(p0 (1 - p0) / den) from the rest of the organisation; `flags` names "
            "the measures beyond the limit that steering would cross (above it, or either side "
            "for the response rate). Organisation keys only: an actor's key gets 403."
        ),
        **scoped("reports"),
        "parameters": _PARAMETERS[:2],
        "responses": {
            "200": answer("the units and their measures", "FairnessReport"),
            "400": problem_answer("invalid period"),
            **KEY_REFUSED,
            "403": problem_answer("the key lacks the reports scope, or is an actor's key"),
            "503": _BUSY,
        },
    }
}
