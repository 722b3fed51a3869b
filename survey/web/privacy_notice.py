"""The privacy notice that every message and survey page links to (unless the organisation
links its own with SURVEY_PRIVACY_URL)."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from survey.web.app import context
from survey.web.i18n import requested_language

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def notice() -> ResponseReturnValue:
    settings = context().settings
    lang = requested_language()
    return render_template(
        "survey/privacy.html",
        token=None,
        lang_args={"lang": lang} if lang else {},
        switch_url=url_for("privacy.notice"),
        organisation=settings.organisation_name,
        privacy_url=None,
        retention_days=settings.retention_days,
        frequency_cap_days=settings.frequency_cap_days,
        expiry_days=settings.expiry_days,
    )
