"""The comments list (SPEC section 6): comment texts with actor, team and ISO week only, in
groups of at least the minimum size; a page and an audited CSV download."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from survey.reporting.comments import comment_list, export_comments
from survey.reporting.report import InvalidReportRequest, ReportRequest
from survey.sampling.draw import STOCKHOLM
from survey.web.admin import bp
from survey.web.admin.auth import COMMENT_ROLES, role_required, who
from survey.web.admin.reports import DOWNLOADS, attachment, refusal_text
from survey.web.app import context, db_session

FORMATS = ("csv", "csv-sv")
DEFAULT_WEEKS = 12


def _period() -> ReportRequest:
    """The period of the form; the last twelve ISO weeks, this one included, by default."""
    today = context().now().astimezone(STOCKHOLM).date()
    monday = today - timedelta(days=today.weekday())
    start = request.args.get("from") or (monday - timedelta(weeks=DEFAULT_WEEKS - 1)).isoformat()
    end = request.args.get("to") or (monday + timedelta(weeks=1)).isoformat()
    try:
        return ReportRequest.parse(start, end, [])
    except InvalidReportRequest as exc:
        abort(400, refusal_text(exc))


@bp.get("/reports/comments")
@role_required(*COMMENT_ROLES)
def comments() -> ResponseReturnValue:
    period = _period()
    min_size = context().settings.min_group_size
    try:
        found = comment_list(
            db_session(), start=period.start, end=period.end, min_group_size=min_size
        )
    except InvalidReportRequest as exc:
        page = render_template(
            "admin/comments.html", period=period, found=None, refusal=refusal_text(exc)
        )
        return page, 400
    return render_template(
        "admin/comments.html", period=period, found=found, min_size=min_size, formats=FORMATS
    )


@bp.get("/reports/comments/download")
@role_required(*COMMENT_ROLES)
def comments_download() -> ResponseReturnValue:
    period = _period()
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(400, f"format must be one of {', '.join(FORMATS)}")
    try:
        content = export_comments(
            db_session(),
            who=who(),
            start=period.start,
            end=period.end,
            min_group_size=context().settings.min_group_size,
            semicolon=fmt == "csv-sv",
        )
    except InvalidReportRequest as exc:
        abort(400, refusal_text(exc))
    suffix = "-sv" if fmt == "csv-sv" else ""
    name = f"comments-{period.start}-{period.end}{suffix}.csv"
    return attachment(content, DOWNLOADS[fmt], name)
