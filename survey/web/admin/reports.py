"""Report and KPI pages with their downloads (JSON, CSV, CSV for Swedish Excel, XLSX), and the
per-answer rows (admin and dpo only, SPEC section 6)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from survey.models import Role
from survey.reporting import exports as export
from survey.reporting.disclosure_control import AGENT_REPORTING_OFF, WHOLE_PERIODS, WHOLE_WEEKS
from survey.reporting.kpi import contact_kpis
from survey.reporting.report import (
    GROUP_KEYS,
    InvalidReportRequest,
    ReportRequest,
    satisfaction_report,
)
from survey.reporting.targets import judge_kpis, judge_report, load_targets
from survey.reporting.xlsx import WorkbookInfo, workbook
from survey.web.admin import bp
from survey.web.admin.auth import role_required, who
from survey.web.admin.dashboard import period_from_args
from survey.web.app import context, db_session
from survey.web.i18n import admin_language
from survey.web.report_slots import report_slot

DOWNLOADS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "csv-sv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def refusal_text(exc: InvalidReportRequest) -> str:
    """Why a report is refused, in the page's language when it breaks a disclosure rule."""
    if exc.rule == WHOLE_PERIODS:
        return gettext(
            "Scores by agent, or by team together with channel, case type or language, are "
            "shown only per whole calendar week or month: choose one ISO week (Monday to "
            "Monday) or one calendar month, or group by week with From and To on Mondays, or "
            "by month with From and To on the first day of a month."
        )
    if exc.rule == WHOLE_WEEKS:
        return gettext("Comments are listed per whole ISO week: From and To must be Mondays.")
    if exc.rule == AGENT_REPORTING_OFF:
        return gettext("Agent-level reporting is turned off (SURVEY_AGENT_REPORTING).")
    return str(exc)


def offered_keys() -> tuple[str, ...]:
    """The group keys the forms offer: no agent when agent-level reporting is off."""
    if context().settings.agent_reporting:
        return GROUP_KEYS
    return tuple(key for key in GROUP_KEYS if key != "agent")


def parse_request() -> ReportRequest:
    """The period and grouping of the form; InvalidReportRequest when they are refused."""
    period, _ = period_from_args()
    group_by = [k for k in request.args.getlist("group_by") if k]
    return ReportRequest.parse(
        period.start.isoformat(),
        period.end.isoformat(),
        group_by,
        agent_reporting=context().settings.agent_reporting,
    )


def _request() -> ReportRequest:
    try:
        return parse_request()
    except InvalidReportRequest as exc:
        abort(400, refusal_text(exc))


def workbook_info(language: str) -> WorkbookInfo:
    """The title sheet's facts for a workbook downloaded now, in the admin's language."""
    settings = context().settings
    return WorkbookInfo(
        organisation=settings.organisation_name,
        min_group_size=settings.min_group_size,
        language=language,
    )


def _query(report_request: ReportRequest, **extra: str) -> dict[str, Any]:
    return {
        "from": report_request.start.isoformat(),
        "to": report_request.end.isoformat(),
        "group_by": list(report_request.group_by),
        **extra,
    }


@bp.get("/reports")
@role_required()
@report_slot
def reports() -> ResponseReturnValue:
    try:
        report_request = parse_request()
    except InvalidReportRequest as exc:
        period, _ = period_from_args()
        chosen = [k for k in request.args.getlist("group_by") if k]
        return (
            render_template(
                "admin/reports.html",
                report=None,
                refusal=refusal_text(exc),
                request_=period,
                chosen=chosen,
                keys=offered_keys(),
            ),
            400,
        )
    session = db_session()
    report = judge_report(
        satisfaction_report(
            session, report_request, min_group_size=context().settings.min_group_size
        ),
        load_targets(session),
    )
    return render_template(
        "admin/reports.html",
        report=report,
        request_=report_request,
        chosen=report_request.group_by,
        keys=offered_keys(),
        query=_query(report_request),
        downloads=DOWNLOADS,
    )


@bp.get("/reports/download")
@role_required()
@report_slot
def download() -> ResponseReturnValue:
    report_request = _request()
    fmt = request.args.get("format", "csv")
    if fmt not in DOWNLOADS:
        abort(400, f"format must be one of {', '.join(DOWNLOADS)}")
    session = db_session()
    min_size = context().settings.min_group_size
    content: str | bytes
    if fmt == "xlsx":
        content = workbook(
            session, report_request, min_group_size=min_size, info=workbook_info(admin_language())
        )
    else:
        report = satisfaction_report(session, report_request, min_group_size=min_size)
        content = (
            json.dumps(judge_report(report, load_targets(session)), ensure_ascii=False, indent=2)
            if fmt == "json"
            else export.report_csv(report, semicolon=fmt == "csv-sv")
        )
    name = _filename("report", report_request, fmt)
    return attachment(content, DOWNLOADS[fmt], name)


@bp.get("/reports/raw")
@role_required(Role.admin, Role.dpo)
@report_slot(writes=True)  # each download is audited
def raw_answers() -> ResponseReturnValue:
    """One row per answer: only for admin and dpo, never analysts (SPEC section 6)."""
    period, _ = period_from_args()
    with_comments = request.args.get("comments") == "1"
    fmt = "csv-sv" if request.args.get("format") == "csv-sv" else "csv"
    content = export.export_raw_answers(
        db_session(),
        who=who(),
        start=period.start,
        end=period.end,
        with_comments=with_comments,
        with_agent=context().settings.agent_reporting,
        semicolon=fmt == "csv-sv",
    )
    return attachment(content, DOWNLOADS[fmt], _filename("answers", period, fmt))


@bp.get("/kpis")
@role_required()
@report_slot
def kpis() -> ResponseReturnValue:
    report_request = _request()
    session = db_session()
    data = judge_kpis(
        session,
        contact_kpis(session, report_request, min_group_size=context().settings.min_group_size),
        report_request,
        load_targets(session),
    )
    return render_template(
        "admin/kpis.html", kpis=data, request_=report_request, keys=offered_keys()
    )


def _filename(kind: str, report_request: ReportRequest, fmt: str) -> str:
    grouping = "-".join(report_request.group_by) or "total"
    extension = "csv" if fmt.startswith("csv") else fmt
    suffix = "-sv" if fmt == "csv-sv" else ""
    return f"{kind}-{report_request.start}-{report_request.end}-{grouping}{suffix}.{extension}"


def attachment(content: str | bytes, mimetype: str, name: str) -> Response:
    response = Response(content, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
