"""GET /api/v1/reports/agents: each team's agents ranked by a shrunk mean with its interval
(reporting.ranking). Organisation keys only, with the reports scope; per agent, so only for one
whole calendar week or month and only while SURVEY_AGENT_REPORTING is on."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from survey.models import ApiScope
from survey.reporting.ranking_report import agent_ranking
from survey.reporting.report import InvalidReportRequest, ReportRequest
from survey.web.api_keys import current_key, require_scope
from survey.web.api_reports import _BUSY, _PARAMETERS, _refused
from survey.web.app import context, db_session
from survey.web.errors import problem
from survey.web.openapi import KEY_REFUSED, PATHS, answer, scoped
from survey.web.openapi import problem as problem_answer
from survey.web.report_slots import report_slot

bp = Blueprint("api_rankings", __name__, url_prefix="/api/v1")


@bp.get("/reports/agents")
@require_scope(ApiScope.reports)
@report_slot
def agents() -> ResponseReturnValue:
    if not current_key().is_organisation:
        return problem(
            403,
            "Forbidden",
            "the agent ranking needs an organisation key; an actor's key cannot read it",
        )
    settings = context().settings
    try:
        # Parsed as a report by agent: the same publication rules (one week or month; off).
        period = ReportRequest.parse(
            request.args.get("from"),
            request.args.get("to"),
            ["agent"],
            agent_reporting=settings.agent_reporting,
        )
    except InvalidReportRequest as exc:
        return _refused(exc)
    return jsonify(agent_ranking(db_session(), period, min_group_size=settings.min_group_size))


PATHS["/api/v1/reports/agents"] = {
    "get": {
        "summary": "Each team's agents ordered by a shrunk mean, always with its interval",
        "description": (
            "Per team: the team mean, the pooled within-agent variance, the between-agent "
            "variance tau2 (method of moments, DerSimonian-Laird) and the agents with their raw "
            "mean, their empirical Bayes mean shrunk toward the team mean and its 95 % "
            "interval, ordered by the shrunk mean. Agents below the minimum group size (and "
            "those hidden with them) are listed under `hidden` with their count only. For one "
            "ISO week (Monday to Monday) or one calendar month; organisation keys only."
        ),
        **scoped("reports"),
        "parameters": _PARAMETERS[:2],
        "responses": {
            "200": answer("the ranking per team", "AgentRanking"),
            "400": problem_answer(
                "invalid period, or a disclosure rule broken: `whole-calendar-periods` (not "
                "one ISO week or calendar month) or `agent-reporting-off`"
            ),
            **KEY_REFUSED,
            "403": problem_answer("the key lacks the reports scope, or is an actor's key"),
            "503": _BUSY,
        },
    }
}
