"""GET /api/v1/reports/satisfaction: the report of SPEC section 4 for API keys."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from survey.services.report import InvalidReportRequest, ReportRequest, satisfaction_report
from survey.web.app import context, db_session
from survey.web.auth import require_api_key
from survey.web.errors import problem

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1")


@bp.get("/reports/satisfaction")
@require_api_key
def satisfaction() -> ResponseReturnValue:
    try:
        report_request = ReportRequest.parse(
            request.args.get("from"), request.args.get("to"), request.args.getlist("group_by")
        )
    except InvalidReportRequest as exc:
        return problem(400, "Bad Request", str(exc))
    report = satisfaction_report(
        db_session(), report_request, min_group_size=context().settings.min_group_size
    )
    return jsonify(report)
