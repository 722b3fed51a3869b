"""The dashboard a quality manager reads at a glance: trends, distribution, breakdowns, KPIs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from survey.reporting import charts
from survey.reporting.distribution import score_distribution
from survey.reporting.kpi import contact_kpis
from survey.reporting.report import (
    InvalidReportRequest,
    ReportRequest,
    satisfaction_report,
)
from survey.reporting.targets import judge_kpis, judge_report, load_targets
from survey.sampling.draw import STOCKHOLM
from survey.web.admin import bp
from survey.web.admin.auth import role_required
from survey.web.app import context, db_session
from survey.web.report_slots import report_slot

GRAINS = ("day", "week", "month")
# The grains' names on the page (the template translates the grain it shows).
GRAIN_NAMES = (lazy_gettext("day"), lazy_gettext("week"), lazy_gettext("month"))


def period_from_args(default_days: int = 84) -> tuple[ReportRequest, str]:
    """The period (and time grain) of the filter form; the last 12 weeks by default."""
    today = context().now().astimezone(STOCKHOLM).date()
    start = request.args.get("from") or (today - timedelta(days=default_days)).isoformat()
    end = request.args.get("to") or (today + timedelta(days=1)).isoformat()
    grain = request.args.get("grain", "week")
    grain = grain if grain in GRAINS else "week"
    try:
        return ReportRequest.parse(start, end, []), grain
    except InvalidReportRequest as exc:
        flash(str(exc), "error")
        return ReportRequest(today - timedelta(days=default_days), today + timedelta(days=1)), grain


def _grouped(period: ReportRequest, *keys: str) -> ReportRequest:
    return ReportRequest(period.start, period.end, keys)


def _label(key: dict[str, Any]) -> str:
    return " / ".join("(none)" if v is None else str(v) for v in key.values())


@bp.get("/")
@role_required()
@report_slot
def dashboard() -> ResponseReturnValue:
    period, grain = period_from_args()
    session = db_session()
    min_size = context().settings.min_group_size
    book = load_targets(session)

    def report(*keys: str) -> dict[str, Any]:
        found = satisfaction_report(session, _grouped(period, *keys), min_group_size=min_size)
        return judge_report(found, book)

    trend, by_channel, by_team = report(grain), report("channel"), report("team")
    kpis = judge_kpis(
        session,
        contact_kpis(session, _grouped(period, grain), min_group_size=min_size),
        _grouped(period, grain),
        book,
    )
    target = {"target_label": _("Target")}
    distribution = score_distribution(session, period, min_group_size=min_size)
    csat_points = [
        charts.Point(
            _label(g["key"]),
            g["overall"]["csat"],
            *(g["overall"]["csat_ci95"] or (None, None)),
        )
        for g in trend["groups"]
    ]
    rate_points = [charts.Point(_label(g["key"]), g["response_rate"]) for g in trend["groups"]]
    figures = {
        "csat": charts.trend_chart(
            _("CSAT by %(grain)s with 95 %% interval", grain=_(grain)),
            csat_points,
            target=book.target("csat"),
            **target,
        ),
        "rate": charts.trend_chart(
            _("Response rate by %(grain)s", grain=_(grain)),
            rate_points,
            target=book.target("response_rate"),
            **target,
        ),
        "distribution": charts.bar_chart(
            _("Distribution of the overall score"),
            [(str(s), float(n)) for s, n in (distribution or {}).items()],
        ),
        "channel": charts.bar_chart(
            _("CSAT by channel"),
            [(_label(g["key"]), g["overall"]["csat"]) for g in by_channel["groups"]],
            high=1.0,
            percent=True,
            target=book.target("csat"),
            **target,
        ),
        "team": charts.bar_chart(
            _("CSAT by team"),
            [(_label(g["key"]), g["overall"]["csat"]) for g in by_team["groups"]],
            high=1.0,
            percent=True,
            target=book.target("csat"),
            **target,
        ),
    }
    return render_template(
        "admin/dashboard.html",
        period=period,
        grain=grain,
        grains=GRAINS,
        trend=trend,
        by_channel=by_channel,
        by_team=by_team,
        kpis=kpis,
        distribution=distribution,
        figures=figures,
        label=_label,
        min_size=min_size,
        last_day=period.end - timedelta(days=1),
        today=date.today(),
    )
