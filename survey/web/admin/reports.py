"""Report and KPI pages with their downloads (JSON, CSV, CSV for Swedish Excel, XLSX, raw)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from survey.reporting import exports as export
from survey.reporting.kpi import contact_kpis
from survey.reporting.report import (
    GROUP_KEYS,
    InvalidReportRequest,
    ReportRequest,
    satisfaction_report,
)
from survey.web.admin import bp
from survey.web.admin.auth import role_required, who
from survey.web.admin.dashboard import period_from_args
from survey.web.app import context, db_session

DOWNLOADS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "csv-sv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _request() -> ReportRequest:
    period, _ = period_from_args()
    group_by = [k for k in request.args.getlist("group_by") if k]
    try:
        return ReportRequest.parse(period.start.isoformat(), period.end.isoformat(), group_by)
    except InvalidReportRequest as exc:
        abort(400, str(exc))


def _query(report_request: ReportRequest, **extra: str) -> dict[str, Any]:
    return {
        "from": report_request.start.isoformat(),
        "to": report_request.end.isoformat(),
        "group_by": list(report_request.group_by),
        **extra,
    }


@bp.get("/reports")
@role_required()
def reports() -> ResponseReturnValue:
    report_request = _request()
    report = satisfaction_report(
        db_session(), report_request, min_group_size=context().settings.min_group_size
    )
    return render_template(
        "admin/reports.html",
        report=report,
        request_=report_request,
        keys=GROUP_KEYS,
        query=_query(report_request),
        downloads=DOWNLOADS,
    )


@bp.get("/reports/download")
@role_required()
def download() -> ResponseReturnValue:
    report_request = _request()
    fmt = request.args.get("format", "csv")
    if fmt not in DOWNLOADS:
        abort(400, f"format must be one of {', '.join(DOWNLOADS)}")
    session = db_session()
    min_size = context().settings.min_group_size
    content: str | bytes
    if fmt == "xlsx":
        content = export.workbook(session, report_request, min_group_size=min_size)
    else:
        report = satisfaction_report(session, report_request, min_group_size=min_size)
        content = (
            json.dumps(report, ensure_ascii=False, indent=2)
            if fmt == "json"
            else export.report_csv(report, semicolon=fmt == "csv-sv")
        )
    name = _filename("report", report_request, fmt)
    return _attachment(content, DOWNLOADS[fmt], name)


@bp.get("/reports/raw")
@role_required()
def raw_answers() -> ResponseReturnValue:
    report_request = _request()
    with_comments = request.args.get("comments") == "1"
    fmt = "csv-sv" if request.args.get("format") == "csv-sv" else "csv"
    content = export.export_raw_answers(
        db_session(),
        who=who(),
        start=report_request.start,
        end=report_request.end,
        with_comments=with_comments,
        semicolon=fmt == "csv-sv",
    )
    return _attachment(content, DOWNLOADS[fmt], _filename("answers", report_request, fmt))


@bp.get("/kpis")
@role_required()
def kpis() -> ResponseReturnValue:
    report_request = _request()
    data = contact_kpis(
        db_session(), report_request, min_group_size=context().settings.min_group_size
    )
    return render_template("admin/kpis.html", kpis=data, request_=report_request, keys=GROUP_KEYS)


def _filename(kind: str, report_request: ReportRequest, fmt: str) -> str:
    grouping = "-".join(report_request.group_by) or "total"
    extension = "csv" if fmt.startswith("csv") else fmt
    suffix = "-sv" if fmt == "csv-sv" else ""
    return f"{kind}-{report_request.start}-{report_request.end}-{grouping}{suffix}.{extension}"


def _attachment(content: str | bytes, mimetype: str, name: str) -> Response:
    response = Response(content, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
