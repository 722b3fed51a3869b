"""The drill-down pages: organisation -> actor -> team -> agent (survey.reporting.drilldown).

Each level shows the unit's trend with its 95 % interval, the score distribution, the item
means, the response rate, its KPIs and its comments; a team adds its p-chart of CSAT and, for
one week or month, its agents' ranking by shrunk mean. Filters live in the query string, so a
view can be bookmarked and shared. Agent pages exist only while agent-level reporting is on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from survey.accounts.actors import get_actor
from survey.errors import NotFound
from survey.reporting import charts
from survey.reporting.drilldown import Unit
from survey.reporting.drilldown_page import UnitPage, unit_page
from survey.reporting.p_chart_plot import p_chart_svg
from survey.reporting.report import CASE_ITEMS, CONTACT_ITEMS, InvalidReportRequest
from survey.sampling.draw import STOCKHOLM
from survey.web.admin import bp
from survey.web.admin.auth import role_required
from survey.web.admin.reports import refusal_text
from survey.web.admin.unit_filters import (
    GRAINS,
    BadFilter,
    Filters,
    Segment,
    parse_filters,
    unit_keys,
)
from survey.web.app import context, db_session
from survey.web.report_slots import report_slot

PARTS = (("contact_experience", CONTACT_ITEMS), ("case_handling", CASE_ITEMS))


def item_names() -> dict[str, str]:
    """The questionnaire items' short names on the admin pages."""
    return {
        "response_time": _("Waiting time"),
        "manner": _("Manner"),
        "clarity": _("Clarity"),
        "knowledge": _("Knowledge"),
        "engagement": _("Engagement"),
        "proactivity": _("Proactivity"),
        "efficiency": _("Efficiency"),
        "follow_up": _("Follow-up"),
        "time_taken": _("Time taken"),
    }


@bp.record_once
def _add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("segment", Segment)


@bp.get("/units", endpoint="units")
@bp.get("/units/<segment:actor>", endpoint="units")
@bp.get("/units/<segment:actor>/<segment:team>", endpoint="units")
@bp.get("/units/<segment:actor>/<segment:team>/<segment:agent>", endpoint="units")
@role_required()
@report_slot
def units(
    actor: str | None = None, team: str | None = None, agent: str | None = None
) -> ResponseReturnValue:
    settings = context().settings
    try:
        actor, team, agent = unit_keys({"actor": actor, "team": team, "agent": agent}, request.args)
    except BadFilter as exc:
        return _refused(Unit(), None, exc.param, str(exc))
    if agent is not None and not settings.agent_reporting:
        abort(404, _("Agent-level reporting is turned off (SURVEY_AGENT_REPORTING)."))
    if actor is not None:
        try:
            get_actor(db_session(), name=actor)
        except NotFound:
            abort(404, _("No actor named %(name)s.", name=actor))
    today = context().now().astimezone(STOCKHOLM).date()
    try:
        filters = parse_filters(request.args, today=today, single=agent is not None)
    except BadFilter as exc:
        return _refused(Unit(actor, team, agent), None, exc.param, str(exc))
    unit = Unit(actor, team, agent, filters.channel, filters.case_type)
    try:
        page = unit_page(
            db_session(),
            unit,
            filters.start,
            filters.end,
            filters.grain,
            min_group_size=settings.min_group_size,
            agent_reporting=settings.agent_reporting,
        )
    except InvalidReportRequest as exc:
        return _refused(unit, filters, ", ".join(exc.params) or "from, to", refusal_text(exc))
    return render_template(
        "admin/units.html",
        page=page,
        unit=unit,
        filters=filters,
        grains=GRAINS,
        figures=_figures(page),
        crumbs=_crumbs(unit, filters),
        min_size=settings.min_group_size,
        last_day=page.end - timedelta(days=1),
        agent_reporting=settings.agent_reporting,
        parts=PARTS,
        item_names=item_names(),
    )


def _refused(unit: Unit, filters: Filters | None, param: str, message: str) -> Any:
    page = render_template(
        "admin/units.html",
        page=None,
        unit=unit,
        filters=filters,
        grains=GRAINS,
        crumbs=_crumbs(unit, filters),
        refusal={"param": param, "message": message},
    )
    return page, 400


def _crumbs(unit: Unit, filters: Filters | None) -> list[tuple[str, str]]:
    """(name, URL) of the organisation and the levels down to the unit, keeping the filters
    (an agent's single week is no filter for the levels above)."""
    args: dict[str, Any] = dict(filters.query()) if filters else {}
    crumbs = [(_("Organisation"), url_for("admin.units", **args))]
    for key in ("actor", "team", "agent"):
        value = getattr(unit, key)
        if value is None:
            break
        args[key] = value
        crumbs.append((value, url_for("admin.units", **args)))
    return crumbs


def _figures(page: UnitPage) -> dict[str, Markup]:
    grain = _(page.grain)
    points = [
        charts.Point(label, *_csat(g)) if g else charts.Point(label, None)
        for label, g in page.cells
    ]
    figures = {
        "trend": charts.trend_chart(
            _("CSAT by %(grain)s with 95 %% interval", grain=grain), points
        ),
        "rate": charts.trend_chart(
            _("Response rate by %(grain)s", grain=grain),
            [charts.Point(label, g["response_rate"] if g else None) for label, g in page.cells],
        ),
    }
    if page.distribution is not None:
        figures["distribution"] = charts.bar_chart(
            _("Distribution of the overall score"),
            [(str(score), float(n)) for score, n in page.distribution.items()],
        )
    if page.distribution is not None and page.group is not None:
        # Only items with a mean: the table beside lists every item, its count and its mean.
        names = item_names()
        items = [
            (names[item], mean)
            for part, part_items in PARTS
            for item in part_items
            if (mean := page.group[part]["items"][item]["mean"]) is not None
        ]
        figures["items"] = charts.bar_chart(_("Item means (1\u20135)"), items, high=5.0)
    if page.chart is not None and page.chart.points:
        figures["p_chart"] = p_chart_svg(
            _("p-chart of CSAT by %(grain)s", grain=grain),
            _(
                "Each point is the CSAT of one %(grain)s; the solid line is the team's CSAT "
                "over the period and the dashed steps its control limits (3 standard errors). "
                "A square marks a point outside its limits. The table beside gives the same "
                "figures.",
                grain=grain,
            ),
            page.chart,
            outside_text=_("outside the control limits"),
        )
    return figures


def _csat(group: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    overall = group["overall"]
    low, high = overall["csat_ci95"] or (None, None)
    return overall["csat"], low, high
