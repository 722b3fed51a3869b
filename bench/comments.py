"""Benchmark of the comments page on PostgreSQL: the analysts' grouped list, the admin's page of
rows (first and a deep page, with and without filters) and the CSV export, over twelve weeks.

Loads the data of bench/report.py and gives a third of the responses a comment. The last line
of output is one JSON object with the figures.

    .venv/bin/python bench/comments.py --contacts 200000 --responses 50000
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
from survey.reporting.comment_filters import CommentFilter
from survey.reporting.comment_rows import comment_page, export_comment_rows
from survey.reporting.comments import comment_list

COMMENTS = """UPDATE response SET comment = 'comment ' || id
    || (ARRAY[' slow answer', ' kind and quick', ' never called back'])[1 + id % 3]
    WHERE id % 3 = 0"""
START, END = date(2025, 3, 3), date(2025, 5, 26)  # twelve ISO weeks, Monday to Monday


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--responses", type=int, default=50_000)
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
        for statement in [*LOAD, COMMENTS]:
            connection.execute(text(statement), params)
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    with ctx.engine.connect() as connection:
        in_period = connection.execute(
            text(
                "SELECT count(*) FROM response r JOIN survey s ON s.id = r.survey_id "
                "WHERE r.comment IS NOT NULL AND s.closed_local_date >= :a "
                "AND s.closed_local_date < :b"
            ),
            {"a": START, "b": END},
        ).scalar_one()
    everything = CommentFilter(START, END)
    narrowed = CommentFilter(START, END, team="team-3", score_min=1, score_max=2, text="SLOW")
    figures: dict[str, Any] = {"database": "postgresql", "comments_in_period": in_period}
    with ctx.session() as session:
        timed = {
            "analyst_list": lambda: comment_list(
                session, start=START, end=END, min_group_size=5, found=everything
            ),
            "analyst_list_filtered": lambda: comment_list(
                session, start=START, end=END, min_group_size=5, found=narrowed
            ),
            "admin_first_page": lambda: comment_page(session, everything, with_agent=True),
            "admin_page_100": lambda: comment_page(session, everything, with_agent=True, page=100),
            "admin_filtered_page": lambda: comment_page(session, narrowed, with_agent=True),
            "admin_csv_export": lambda: export_comment_rows(
                session, everything, who="bench", with_agent=True, fmt="csv"
            ),
        }
        for label, func in timed.items():
            func()
            seconds = best_of(runs, func)
            figures[f"{label}_seconds"] = round(seconds, 4)
            print(f"{label}: {seconds:.3f} s", flush=True)
        listed = comment_list(session, start=START, end=END, min_group_size=5, found=everything)
        figures["rows_listed_for_analysts"] = len(listed.rows)
        figures["groups_left_out_for_analysts"] = listed.left_out_groups
    return figures


if __name__ == "__main__":
    main()
