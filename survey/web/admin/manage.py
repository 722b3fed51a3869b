"""Policy, audit log, outbox and snapshots."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from survey.accounts.audit_log import audit_entries
from survey.channels.outbox import get_message, recent_messages
from survey.channels.staff_mail import XLSX
from survey.errors import ServiceError
from survey.models import Role
from survey.reporting.snapshot import get_snapshot, list_snapshots, snapshot_workbook
from survey.sampling import policy as policy_service
from survey.web.admin import bp
from survey.web.admin.auth import role_required, who
from survey.web.app import context, db_session
from survey.web.i18n import admin_language

PAGE = 100


@bp.route("/policy", methods=["GET", "POST"])
@role_required(Role.admin)
def policy() -> ResponseReturnValue:
    session = db_session()
    ctx = context()
    if request.method == "POST":
        try:
            policy_service.change_policy(
                session,
                key=request.form.get("key", ""),
                value=request.form.get("value", "").strip(),
                who=who(),
                reason=request.form.get("reason", "").strip() or None,
                now=ctx.now(),
            )
        except ServiceError as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.policy"), 303)
        flash(_("The policy was changed; it applies to cases closed from now on."), "info")
        return redirect(url_for("admin.policy"), 303)
    current = policy_service.effective_policy(session, ctx.now())
    versions = policy_service.recent_versions(session, limit=PAGE)
    return render_template(
        "admin/policy.html",
        policy=policy_service.policy_dict(current),
        keys=policy_service.POLICY_KEYS,
        versions=versions,
    )


@bp.get("/audit")
@role_required(Role.admin)
def audit_log() -> ResponseReturnValue:
    before = request.args.get("before", type=int)
    entries = audit_entries(db_session(), before=before, limit=PAGE)
    older = entries[-1].id if len(entries) == PAGE else None
    return render_template("admin/audit.html", entries=entries, older=older)


@bp.get("/outbox")
@role_required(Role.admin)
def outbox() -> ResponseReturnValue:
    messages = recent_messages(db_session(), limit=PAGE)
    return render_template(
        "admin/outbox.html", messages=messages, backend=context().settings.email_backend
    )


@bp.get("/outbox/<int:message_id>/attachment")
@role_required(Role.admin)
def outbox_attachment(message_id: int) -> ResponseReturnValue:
    """A kept mail's attachment (a scheduled report's workbook), as it would have been sent."""
    message = get_message(db_session(), message_id)
    if message is None or message.attachment is None:
        abort(404)
    response = Response(message.attachment, mimetype=XLSX)
    name = message.attachment_name or f"attachment-{message_id}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/snapshots")
@role_required()
def snapshots() -> ResponseReturnValue:
    return render_template("admin/snapshots.html", snapshots=list_snapshots(db_session()))


@bp.get("/snapshots/<int:snapshot_id>.xlsx")
@role_required()
def snapshot_download(snapshot_id: int) -> ResponseReturnValue:
    snapshot = get_snapshot(db_session(), snapshot_id)
    if snapshot is None:
        abort(404)
    response = Response(
        snapshot_workbook(snapshot, context().settings, language=admin_language()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"satisfaction-{snapshot.month}-{snapshot.kind}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
