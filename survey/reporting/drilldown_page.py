"""Everything one drill-down page shows for a unit and period (survey.reporting.drilldown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from survey.reporting.disclosure_control import RULES, WHOLE_PERIODS
from survey.reporting.drilldown import (
    Unit,
    csat_chart,
    last_whole_week,
    pick,
    single_period_grain,
    summary,
    team_ranking,
    trailing_cells,
    trend,
    unit_comments,
    unit_distribution,
    unit_kpis,
    unit_request,
)
from survey.reporting.p_chart import PChart
from survey.reporting.report import InvalidReportRequest, satisfaction_report

CHILD = {"organisation": "actor", "actor": "team"}


@dataclass
class UnitPage:
    unit: Unit
    start: date
    end: date
    grain: str
    group: dict[str, Any] | None  # the unit's report group over the period
    cells: list[tuple[str, Any]]  # (week or month, the unit's group or None)
    kpis: dict[str, Any] | None
    distribution: dict[int, int] | None  # None while the unit's scores are hidden
    children: list[dict[str, Any]] = field(default_factory=list)
    chart: PChart | None = None  # teams: the p-chart of CSAT
    ranking: dict[str, Any] | None = None  # teams, for one week or month: the agents
    ranking_week: tuple[date, date] | None = None  # else a week to offer for the ranking
    comments: list[tuple[str, str | None, str, str]] | None = None


def unit_page(
    session: Session,
    unit: Unit,
    start: date,
    end: date,
    grain: str,
    *,
    min_group_size: int,
    agent_reporting: bool,
) -> UnitPage:
    """The unit's figures; InvalidReportRequest when the period may not be published for it
    (an agent: one ISO week or calendar month only)."""
    rules = {"agent_reporting": agent_reporting}
    sizes: dict[str, Any] = {"min_group_size": min_group_size}
    trend_start = start
    if unit.level == "agent":
        single = single_period_grain(start, end)
        if single is None:
            params, message = RULES[WHOLE_PERIODS]
            raise InvalidReportRequest(message, params=params[:2], rule=WHOLE_PERIODS)
        grain, trend_start = single, trailing_cells(end, single)
    period = unit_request(unit, start, end, **rules)
    trend_request = unit_request(unit, trend_start, end, grain, **rules)
    report = satisfaction_report(session, period, **sizes)
    group = summary(report, unit)
    cells = trend(satisfaction_report(session, trend_request, **sizes), unit, grain)
    shown = group is not None and group["overall"]["mean"] is not None
    page = UnitPage(
        unit=unit,
        start=start,
        end=end,
        grain=grain,
        group=group,
        cells=cells,
        kpis=unit_kpis(session, period, unit, report=report, **sizes),
        distribution=unit_distribution(session, period, unit) if shown else None,
    )
    if unit.level in CHILD:
        child = unit_request(unit, start, end, CHILD[unit.level], **rules)
        page.children = pick(satisfaction_report(session, child, **sizes)["groups"], unit)
    if unit.level == "team":
        page.chart = csat_chart(cells, group)
        if agent_reporting and single_period_grain(start, end):
            agents = unit_request(unit, start, end, "agent", **rules)
            page.ranking = team_ranking(session, agents, unit, **sizes)
        elif agent_reporting:
            page.ranking_week = last_whole_week(start, end)
    if unit.level != "agent" and unit.channel is None and unit.case_type is None:
        page.comments = unit_comments(session, start, end, unit, **sizes)
    return page
