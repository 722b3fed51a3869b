"""Where staff mail goes (admins): the follow-up notices per actor and team, and the scheduled
reports per actor and for the organisation. Each change is audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from survey.accounts.actors import actor_names
from survey.errors import NotFound, ServiceError
from survey.followups.recipients import (
    follow_up_recipients,
    remove_follow_up_recipient,
    set_follow_up_recipient,
)
from survey.models import Role
from survey.reporting.recipients import (
    add_report_recipient,
    remove_report_recipient,
    report_recipients,
)
from survey.web.admin import bp
from survey.web.admin.auth import role_required, who
from survey.web.app import context, db_session

ACTIONS = ("set_followup", "remove_followup", "add_report", "remove_report")


@bp.route("/recipients", methods=["GET", "POST"])
@role_required(Role.admin)
def recipients() -> ResponseReturnValue:
    session = db_session()
    status = 200
    if request.method == "POST":
        try:
            _apply(request.form.get("action", ""))
            return redirect(url_for("admin.recipients"), 303)
        except ServiceError as exc:
            flash(str(exc), "error")
            status = 404 if isinstance(exc, NotFound) else 400
    return render_template(
        "admin/recipients.html",
        followup=follow_up_recipients(session),
        reports=report_recipients(session),
        actors=actor_names(session),
        fallback=context().settings.report_recipients,
    ), status


def _apply(action: str) -> None:
    session, form = db_session(), request.form
    if action not in ACTIONS:
        abort(400, f"action: must be one of {', '.join(ACTIONS)}")
    if action == "set_followup":
        set_follow_up_recipient(
            session,
            actor_name=form.get("actor", ""),
            team=form.get("team", ""),
            email=form.get("email", ""),
            who=who(),
        )
    elif action == "remove_followup":
        remove_follow_up_recipient(session, recipient_id=_id(), who=who())
    elif action == "add_report":
        add_report_recipient(
            session, actor_name=form.get("actor") or None, email=form.get("email", ""), who=who()
        )
    else:
        remove_report_recipient(session, recipient_id=_id(), who=who())
    flash(_("Saved."), "info")


def _id() -> int:
    raw = request.form.get("id", "")
    if not raw.isdigit():
        abort(400, "id: must be a number")
    return int(raw)
