"""The comments page (SPEC section 6). Analysts get comment texts with actor, team and ISO week
only, in groups of at least the minimum size; admin and dpo get one row per answer with every
column, filtered, paged and exported (audited); admin users mark a comment handled."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from survey.accounts.actors import actor_names
from survey.errors import NotFound, ServiceError
from survey.models import Channel, Role
from survey.reporting.comment_filters import CommentFilter, parse_filter
from survey.reporting.comment_rows import comment_page, export_comment_rows, mark_handled
from survey.reporting.comments import comment_list, export_comments
from survey.reporting.report import InvalidReportRequest, ReportRequest
from survey.sampling.draw import STOCKHOLM
from survey.web.admin import bp
from survey.web.admin.auth import COMMENT_ROLES, role_required, who
from survey.web.admin.reports import DOWNLOADS, attachment, refusal_text
from survey.web.app import context, db_session

FORMATS = ("csv", "csv-sv")
EXPORTS = ("xlsx", "csv-sv", "csv")
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


def filter_refusal(exc: InvalidReportRequest) -> str:
    """Why a filter was refused, in the page's language, naming the field."""
    field = exc.params[0] if len(exc.params) == 1 else None
    reasons = {
        "agent": _("Agent: comments cannot be filtered by agent here."),
        "score_min": _("Lowest score: a whole number from 1 to 5, not above the highest score."),
        "score_max": _("Highest score: a whole number from 1 to 5."),
        "q": _("Text contains: at most 200 characters."),
        "handled": _("Handling: not handled or handled, and not a filter for analysts."),
    }
    return reasons.get(field or "", refusal_text(exc))


def _is_analyst() -> bool:
    return bool(current_user.role == Role.analyst)


def _filter(period: ReportRequest) -> CommentFilter:
    """The page's filter; InvalidReportRequest naming the parameter when one is refused."""
    return parse_filter(
        request.args,
        start=period.start,
        end=period.end,
        analyst=_is_analyst(),
        agent_reporting=context().settings.agent_reporting,
    )


def _page(period: ReportRequest, filter_: CommentFilter | None, **shown: object) -> str:
    return render_template(
        "admin/comments.html",
        period=period,
        filter_=filter_,
        analyst=_is_analyst(),
        with_agent=context().settings.agent_reporting and not _is_analyst(),
        actors=actor_names(db_session()),
        channels=[channel.value for channel in Channel],
        min_size=context().settings.min_group_size,
        exports=EXPORTS,
        **shown,
    )


@bp.get("/reports/comments")
@role_required(*COMMENT_ROLES)
def comments() -> ResponseReturnValue:
    period = _period()
    min_size = context().settings.min_group_size
    try:
        found = _filter(period)
        if _is_analyst():
            listed = comment_list(
                db_session(),
                start=period.start,
                end=period.end,
                min_group_size=min_size,
                found=found,
            )
            return _page(period, found, found=listed, narrowed=found.narrows())
    except InvalidReportRequest as exc:
        return _page(period, None, found=None, refusal=filter_refusal(exc)), 400
    page = comment_page(
        db_session(),
        found,
        with_agent=context().settings.agent_reporting,
        page=request.args.get("page", 1, type=int) or 1,
    )
    return _page(period, found, rows=page)


@bp.get("/reports/comments/download")
@role_required(*COMMENT_ROLES)
def comments_download() -> ResponseReturnValue:
    """The analysts' list of the period (every role), as CSV: the first download of the page."""
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


@bp.get("/reports/comments/export")
@role_required(*COMMENT_ROLES)
def comments_export() -> ResponseReturnValue:
    """The filtered list as the page shows it to the user's role, as CSV or XLSX (audited)."""
    period = _period()
    fmt = request.args.get("format", "xlsx")
    if fmt not in EXPORTS:
        abort(400, f"format must be one of {', '.join(EXPORTS)}")
    session = db_session()
    try:
        found = _filter(period)
        if _is_analyst():
            content = export_comments(
                session,
                who=who(),
                start=period.start,
                end=period.end,
                min_group_size=context().settings.min_group_size,
                found=found,
                fmt=fmt,
            )
        else:
            content = export_comment_rows(
                session, found, who=who(), with_agent=context().settings.agent_reporting, fmt=fmt
            )
    except InvalidReportRequest as exc:
        abort(400, filter_refusal(exc))
    kind = "comments" if _is_analyst() else "comment-rows"
    suffix = "-sv" if fmt == "csv-sv" else ""
    extension = "xlsx" if fmt == "xlsx" else "csv"
    return attachment(
        content, DOWNLOADS[fmt], f"{kind}-{period.start}-{period.end}{suffix}.{extension}"
    )


@bp.post("/reports/comments/<int:response_id>/handled")
@role_required(Role.admin)
def comment_handled(response_id: int) -> ResponseReturnValue:
    back = request.form.get("back", "")
    if not back.startswith("/admin/reports/comments") or back.startswith("//"):
        back = url_for("admin.comments")
    try:
        mark_handled(
            db_session(),
            response_id=response_id,
            note=request.form.get("note", ""),
            who=who(),
            now=context().now(),
        )
    except NotFound as exc:
        abort(404, str(exc))
    except ServiceError as exc:
        abort(400, str(exc))
    flash(_("The comment was marked handled."), "info")
    return redirect(back, 303)
