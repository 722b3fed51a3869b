"""Targets per KPI (issue 18): admin users set the organisation's default and overrides per
actor or per actor and team; analysts read them. Each change is audited (targets.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from survey.accounts.actors import actor_names
from survey.models import Role
from survey.reporting.target_judgement import KPIS
from survey.reporting.targets import InvalidTarget, list_targets, set_target
from survey.web.admin import bp
from survey.web.admin.auth import role_required, who
from survey.web.app import db_session

KPI_NAMES = {
    "csat": lazy_gettext("CSAT (share of 4 or 5), per cent"),
    "overall_mean": lazy_gettext("Overall mean (1\u20135)"),
    "response_rate": lazy_gettext("Response rate, per cent"),
    "fcr": lazy_gettext("First-contact resolution (customer), per cent"),
    "resolution_time_hours": lazy_gettext("Full resolution time, median (hours; lower is better)"),
    "repeat_contact_ratio": lazy_gettext("Repeat-contact ratio, per cent (lower is better)"),
}


def _refusal(exc: InvalidTarget) -> str:
    """Why a target was refused, in the page's language, naming the field."""
    field = str(exc).partition(":")[0]
    reasons = {
        "kpi": _("KPI: choose one of the list."),
        "team": _("Team: a team's target needs the team's actor."),
        "actor": _("Actor: no actor of that name."),
        "value": _(
            "Value: a number; shares in per cent from 0 to 100, the overall mean from 1 to 5, "
            "the resolution time in hours."
        ),
    }
    return reasons.get(field, str(exc))


def _page(status: int = 200, **shown: object) -> ResponseReturnValue:
    session = db_session()
    page = render_template(
        "admin/targets.html",
        targets=list_targets(session),
        actors=actor_names(session),
        kpis=KPIS,
        kpi_names=KPI_NAMES,
        **shown,
    )
    return page, status


@bp.get("/targets")
@role_required()
def targets() -> ResponseReturnValue:
    return _page()


@bp.post("/targets")
@role_required(Role.admin)
def set_a_target() -> ResponseReturnValue:
    form = request.form
    try:
        set_target(
            db_session(),
            kpi=form.get("kpi", ""),
            value=form.get("value", ""),
            actor=form.get("actor"),
            team=form.get("team"),
            who=who(),
        )
    except InvalidTarget as exc:
        return _page(400, refusal=_refusal(exc), entered=form)
    flash(_("The target was saved; the reports judge against it from now on."), "info")
    return redirect(url_for("admin.targets"), 303)
