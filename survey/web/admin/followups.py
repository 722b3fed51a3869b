"""The follow-up list (SPEC section 6, role followup; admins too): the consented customers whose
answers met a rule, each with its page (contact details, answers), ownership, status and note."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from survey.errors import Conflict, NotFound
from survey.followups import work
from survey.models import FollowUpStatus
from survey.web.admin import bp
from survey.web.admin.auth import FOLLOWUP_ROLES, role_required, who
from survey.web.app import context, db_session


@bp.get("/followups")
@role_required(*FOLLOWUP_ROLES)
def followups() -> ResponseReturnValue:
    view = request.args.get("view", "open")
    try:
        listed = work.list_follow_ups(
            db_session(), view=view, user_id=current_user.user_id, now=context().now()
        )
    except Conflict as exc:
        abort(400, str(exc))
    return render_template("admin/followups.html", listed=listed, view=view, views=work.VIEWS)


@bp.route("/followups/<int:follow_up_id>", methods=["GET", "POST"])
@role_required(*FOLLOWUP_ROLES)
def followup(follow_up_id: int) -> ResponseReturnValue:
    session = db_session()
    status = 200
    if request.method == "POST":
        try:
            _change(follow_up_id)
            return redirect(url_for("admin.followup", follow_up_id=follow_up_id), 303)
        except NotFound:
            abort(404)
        except Conflict as exc:
            flash(str(exc), "error")
            status = 400
    try:
        case = work.open_case(session, follow_up_id, who=who())
    except NotFound:
        abort(404)
    questionnaire = current_app.extensions["questionnaires"].get("default")
    return render_template(
        "admin/followup.html",
        case=case,
        statuses=[s.value for s in FollowUpStatus],
        questions=questionnaire.questions if questionnaire else [],
    ), status


def _change(follow_up_id: int) -> None:
    session, now = db_session(), context().now()
    if request.form.get("action") == "take":
        work.take_follow_up(session, follow_up_id, user_id=current_user.user_id, who=who(), now=now)
        flash(_("You own this follow-up now."), "info")
        return
    work.update_follow_up(
        session,
        follow_up_id,
        status=request.form.get("status", ""),
        note=request.form.get("note", ""),
        who=who(),
        now=now,
    )
    flash(_("The follow-up was saved."), "info")
