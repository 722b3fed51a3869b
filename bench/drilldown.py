"""Benchmark of the drill-down pages' computations (survey.reporting.drilldown_page) on
PostgreSQL.

Loads the synthetic year of bench/report.py, then times each level's page for twelve weeks
(the agent: one week), and the plain satisfaction report grouped by team and week over the same
weeks for comparison. The last line of output is one JSON object with the figures.

    .venv/bin/python bench/drilldown.py --contacts 200000 --responses 40000
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from sqlalchemy import text

from bench.common import fresh_database
from bench.report import LOAD, best_of
from survey.context import build_context
from survey.reporting.drilldown import Unit
from survey.reporting.drilldown_page import unit_page
from survey.reporting.report import ReportRequest, satisfaction_report

TWELVE_WEEKS = (date(2025, 3, 3), date(2025, 5, 26))
ONE_WEEK = (date(2025, 5, 19), date(2025, 5, 26))
PAGES = {
    "organisation": (Unit(), TWELVE_WEEKS),
    "actor": (Unit("inhouse"), TWELVE_WEEKS),
    "team": (Unit("inhouse", "team-0"), TWELVE_WEEKS),
    "team_one_week_with_ranking": (Unit("inhouse", "team-0"), ONE_WEEK),
    "agent_one_week": (Unit("inhouse", "team-0", "agent-0"), ONE_WEEK),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--responses", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    surveys = int(args.responses * 1.25)
    cases = max(surveys, int(args.contacts * 0.8))
    with fresh_database("postgresql") as url:  # migrated, dropped afterwards
        figures = run(url, args.contacts, cases, surveys, args.runs)
    print(json.dumps(figures))


def run(url: str, contacts: int, cases: int, surveys: int, runs: int) -> dict[str, Any]:
    ctx = build_context({"database_url": url, "env": "development"})
    params = {"contacts": contacts, "cases": cases, "surveys": surveys}
    with ctx.engine.begin() as connection:
        for statement in LOAD:
            connection.execute(text(statement), params)
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    with ctx.engine.connect() as connection:
        responses = connection.execute(text("SELECT count(*) FROM response")).scalar_one()
    figures: dict[str, Any] = {
        "database": "postgresql",
        "contacts": contacts,
        "responses": responses,
    }

    def reference() -> Any:
        with ctx.session() as session:
            request = ReportRequest(*TWELVE_WEEKS, ("team", "week"))
            return satisfaction_report(session, request, min_group_size=5)

    reference()
    figures["report_team_week_seconds"] = round(best_of(runs, reference), 3)
    for label, (unit, (start, end)) in PAGES.items():

        def page(unit: Unit = unit, start: date = start, end: date = end) -> Any:
            with ctx.session() as session:
                return unit_page(
                    session, unit, start, end, "week", min_group_size=5, agent_reporting=True
                )

        shown = page()
        seconds = best_of(runs, page)
        figures[f"{label}_seconds"] = round(seconds, 3)
        print(f"{label}: {seconds:.3f} s, responses {shown.group and shown.group['responses']}")
    return figures


if __name__ == "__main__":
    main()
