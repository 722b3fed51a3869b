"""The fairness page: the steering signals per actor and agent, a funnel plot per measure."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from survey.models import Role
from survey.reporting.fairness import fairness_report
from survey.reporting.funnel_plot import UnitPoint, funnel_plot
from survey.reporting.report import InvalidReportRequest
from survey.reporting.steering import MEASURES
from survey.web.admin import bp
from survey.web.admin.auth import role_required
from survey.web.admin.dashboard import period_from_args
from survey.web.app import context, db_session
from survey.web.report_slots import report_slot


def measure_names() -> dict[str, str]:
    return {
        "do_not_survey_share": _("Contacts marked do-not-survey"),
        "staff_opt_out_share": _("Customers opted out by staff"),
        "post_draw_cancel_share": _("Drawn cases stopped after the draw"),
        "split_case_share": _("Customers split into several cases within 24 hours"),
        "reused_case_share": _("Contacts added to cases decided over 7 days before"),
        "decline_rate": _("Surveys declined"),
        "response_rate": _("Surveys answered"),
    }


def unit_label(unit: dict[str, Any]) -> str:
    return unit["actor"] if unit["agent"] is None else f"{unit['actor']} / {unit['agent']}"


def plots(report: dict[str, Any], names: dict[str, str]) -> dict[str, Markup]:
    """One funnel plot per measure, each unit with a denominator a point."""
    drawn = {}
    for name in MEASURES:
        p0 = report["organisation"]["measures"][name]["rate"]
        points = [
            UnitPoint(unit_label(u), m["den"], m["rate"], name in u["flags"])
            for u in report["units"]
            if (m := u["measures"][name])["rate"] is not None
        ]
        drawn[name] = funnel_plot(
            names[name],
            _(
                "Funnel plot: each unit's rate against its denominator; the line is the "
                "organisation's rate and the curves its control limits (3.09 standard errors). "
                "The table below gives the same figures."
            ),
            p0,
            points,
            x_label=_("Denominator (n)"),
            flagged_text=_("flagged"),
        )
    return drawn


@bp.get("/fairness")
@role_required(Role.admin)
@report_slot
def fairness() -> ResponseReturnValue:
    period, _grain = period_from_args()
    settings = context().settings
    try:
        report = fairness_report(
            db_session(),
            period,
            identifier_key=settings.identifier_key,
            agent_reporting=settings.agent_reporting,
        )
    except InvalidReportRequest as exc:
        abort(400, str(exc))
    names = measure_names()
    return render_template(
        "admin/fairness.html",
        report=report,
        plots=plots(report, names),
        names=names,
        measures=MEASURES,
        period=period,
        unit_label=unit_label,
    )
