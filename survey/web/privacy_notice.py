"""The privacy notice that every message and survey page links to (unless the organisation
links its own with SURVEY_PRIVACY_URL): what GDPR Art. 13 asks a controller to tell."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from survey.sampling.policy import effective_policy
from survey.web.app import context, db_session
from survey.web.i18n import requested_language

bp = Blueprint("privacy", __name__)

COMPLAINTS_URL = "https://www.imy.se"


@bp.get("/privacy")
def notice() -> ResponseReturnValue:
    ctx = context()
    settings = ctx.settings
    # The periods a customer is promised are those in force now, not the environment's first.
    policy = effective_policy(db_session(), ctx.now())
    lang = requested_language()
    return render_template(
        "survey/privacy.html",
        token=None,
        lang_args={"lang": lang} if lang else {},
        switch_url=url_for("privacy.notice"),
        organisation=settings.organisation_name,
        privacy_url=None,
        controller=settings.controller_name.strip() or settings.organisation_name,
        controller_contact=settings.controller_contact.strip(),
        dpo_contact=settings.dpo_contact.strip(),
        complaints_url=COMPLAINTS_URL,
        retention_days=settings.retention_days,
        frequency_cap_days=policy.frequency_cap_days,
        expiry_days=policy.expiry_days,
        reminder_after_hours=policy.reminder_after_hours,
    )
