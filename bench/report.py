"""Benchmark of the satisfaction report and the contact KPIs on PostgreSQL.

Loads CONTACTS contacts and RESPONSES responses spread over 2025 into a fresh database (made with
generate_series, so loading is fast), then times the report for one month grouped by team and
week and for the year grouped by month, each against a hand-written SQL GROUP BY computing the
same figures (the floor), and the KPIs for the year by day and by week and team (no floor).
The last line of output is one JSON object with the figures.

    .venv/bin/python bench/report.py --contacts 5000000 --responses 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import text

from survey.context import build_context
from survey.migrate import upgrade
from survey.models import CASE_HANDLING_ITEMS, CONTACT_EXPERIENCE_ITEMS
from survey.reporting.kpi import contact_kpis
from survey.reporting.report import ReportRequest, satisfaction_report

ADMIN_URL = os.environ.get(
    "SURVEY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

LOAD = [
    "INSERT INTO actor (name, created_at) VALUES ('inhouse', now()), ('outsourced-a', now()),"
    " ('outsourced-b', now())",
    # Cases: each has contacts i, i + cases, i + 2 * cases, ... (repeat contacts).
    """INSERT INTO customer_case (case_ref, first_opened_at, last_closed_at,
           last_closed_local_date, contact_count, updated_at)
       SELECT 'C' || i, t - interval '20 minutes', t, (t AT TIME ZONE 'Europe/Stockholm')::date,
              1, t
       FROM (SELECT i, timestamptz '2025-01-01 00:00+00'
                       + (i::float8 / :cases) * interval '365 days' AS t
             FROM generate_series(1, :cases) AS i) s""",
    """INSERT INTO contact (actor_id, external_id, case_ref, channel, opened_at, closed_at,
           closed_local_date, received_at, agent, team, case_type, complaint, do_not_survey,
           customer_language, content_hash, customer_phone)
       SELECT 1 + i % 3, 'E' || i, 'C' || (1 + (i - 1) % :cases),
              (ARRAY['phone','email','chat','sms'])[1 + i % 4],
              c.first_opened_at, c.last_closed_at - ((i - 1) / :cases) * interval '1 minute',
              ((c.last_closed_at - ((i - 1) / :cases) * interval '1 minute')
               AT TIME ZONE 'Europe/Stockholm')::date,
              c.last_closed_at, 'agent-' || (i % 200), 'team-' || (i % 12),
              (ARRAY['billing','delivery','technical'])[1 + i % 3], i % 17 = 0, i % 97 = 0,
              (ARRAY['sv','sv','en'])[1 + i % 3], md5(i::text), '+4670' || lpad(i::text, 7, '0')
       FROM generate_series(1, :contacts) AS i
       JOIN customer_case c ON c.case_ref = 'C' || (1 + (i - 1) % :cases)""",
    """UPDATE customer_case SET contact_count = (:contacts / :cases)""",
    """INSERT INTO sampling_decision (case_ref, decided_at, last_closed_at, drawn, reason, rate,
           key_fingerprint)
       SELECT 'C' || i, c.last_closed_at, c.last_closed_at, true, 'selected', '0.2', repeat('0', 64)
       FROM generate_series(1, :cases) AS i JOIN customer_case c ON c.case_ref = 'C' || i
       -- every (cases / surveys)-th case, so that the surveys spread over the whole year
       WHERE (i::bigint * :surveys) % :cases < :surveys""",
    """INSERT INTO survey (case_ref, decision_id, contact_id, actor_id, agent, team, channel,
           case_type, language, send_channel, to_address, closed_at, closed_local_date,
           closed_week, closed_month, questionnaire, created_at, send_at, first_send_at,
           delivery_status, response_status, attempts)
       SELECT k.case_ref, d.id, k.id, k.actor_id, k.agent, k.team, k.channel, k.case_type,
              k.customer_language, 'sms', k.customer_phone, k.closed_at,
              (k.closed_at AT TIME ZONE 'Europe/Stockholm')::date,
              to_char(k.closed_at AT TIME ZONE 'Europe/Stockholm', 'IYYY-"W"IW'),
              to_char(k.closed_at AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM'),
              'default', k.closed_at, k.closed_at, k.closed_at,
              CASE WHEN k.id % 25 = 0 THEN 'failed' ELSE 'delivered' END,
              CASE WHEN k.id % 5 = 0
                   THEN (ARRAY['declined','expired','opted_out','pending'])[1 + k.id % 4]
                   ELSE 'answered' END,
              1
       FROM contact k
       JOIN sampling_decision d ON d.case_ref = k.case_ref AND d.last_closed_at = k.closed_at""",
    """INSERT INTO response (survey_id, questionnaire, questionnaire_version, submitted_at,
           overall, response_time, manner, clarity, knowledge, engagement, proactivity,
           efficiency, follow_up, time_taken, resolution, fcr, answers)
       SELECT s.id, 'default', 1, s.closed_at + interval '2 hours',
              1 + (s.id * 7) % 5, 1 + (s.id * 3) % 5, 1 + s.id % 5,
              CASE WHEN s.id % 7 = 0 THEN NULL ELSE 1 + (s.id * 11) % 5 END,
              1 + (s.id * 13) % 5, 1 + (s.id * 17) % 5, 1 + (s.id * 19) % 5,
              1 + (s.id * 23) % 5, CASE WHEN s.id % 3 = 0 THEN NULL ELSE 1 + s.id % 5 END,
              1 + (s.id * 29) % 5, (ARRAY['yes','partly','no'])[1 + s.id % 3],
              (ARRAY['yes','no'])[1 + s.id % 2], '{}'
       FROM survey s WHERE s.response_status = 'answered'""",
]

ITEMS = (*CONTACT_EXPERIENCE_ITEMS, *CASE_HANDLING_ITEMS)

FLOOR = """
SELECT {keys},
       count(*),
       sum(CASE WHEN s.delivery_status IN ('sent','delivered')
                  OR s.response_status IN ('opened','answered','declined') THEN 1 ELSE 0 END),
       count(r.overall), sum(CASE WHEN s.response_status = 'declined' THEN 1 ELSE 0 END),
       sum(CASE WHEN s.response_status = 'opted_out' THEN 1 ELSE 0 END),
       sum(r.overall), sum(r.overall * r.overall), sum(CASE WHEN r.overall >= 4 THEN 1 ELSE 0 END),
       count(r.fcr), sum(CASE WHEN r.fcr = 'yes' THEN 1 ELSE 0 END), count(r.resolution),
       sum(CASE WHEN r.resolution = 'yes' THEN 1 ELSE 0 END),
       sum(CASE WHEN r.resolution = 'partly' THEN 1 ELSE 0 END),
       sum(CASE WHEN r.resolution = 'no' THEN 1 ELSE 0 END),
       {items}
FROM survey s LEFT JOIN response r ON r.survey_id = s.id AND r.overall IS NOT NULL
WHERE s.closed_local_date >= :start AND s.closed_local_date < :end
GROUP BY {keys}
"""


def best_of(runs: int, func: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    surveys = int(args.responses * 1.25)  # one in five surveys is not answered
    cases = max(surveys, int(args.contacts * 0.8))
    name = f"survey_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        figures = run(url, args.contacts, cases, surveys, args.runs)
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(figures))


def run(url: str, contacts: int, cases: int, surveys: int, runs: int) -> dict[str, Any]:
    upgrade(url)
    ctx = build_context({"database_url": url, "env": "development"})
    started = time.perf_counter()
    params = {"contacts": contacts, "cases": cases, "surveys": surveys}
    with ctx.engine.begin() as connection:
        for statement in LOAD:
            connection.execute(text(statement), params)
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    load_seconds = time.perf_counter() - started
    with ctx.engine.connect() as connection:
        responses = connection.execute(text("SELECT count(*) FROM response")).scalar_one()
        surveys = connection.execute(text("SELECT count(*) FROM survey")).scalar_one()
    print(
        f"loaded {contacts} contacts, {surveys} surveys, {responses} responses "
        f"in {load_seconds:.1f} s",
        flush=True,
    )
    items = ", ".join(f"count(r.{i}), sum(r.{i})" for i in ITEMS)
    figures: dict[str, Any] = {
        "database": "postgresql",
        "contacts": contacts,
        "surveys": surveys,
        "responses": responses,
        "load_seconds": round(load_seconds, 1),
    }
    cases_to_time = {
        "month_team_week": (
            date(2025, 6, 1),
            date(2025, 7, 1),
            ("team", "week"),
            "s.team, s.closed_week",
        ),
        "year_month": (date(2025, 1, 1), date(2026, 1, 1), ("month",), "s.closed_month"),
    }
    for label, (start, end, keys, floor_keys) in cases_to_time.items():
        request = ReportRequest(start, end, keys)
        floor_sql = text(FLOOR.format(keys=floor_keys, items=items))

        def report(request: ReportRequest = request) -> Any:
            with ctx.session() as session:
                return satisfaction_report(session, request, min_group_size=5)

        def floor(sql: Any = floor_sql, start: date = start, end: date = end) -> Any:
            with ctx.engine.connect() as connection:
                return connection.execute(sql, {"start": start, "end": end}).all()

        report()
        floor()  # warm the cache for both
        report_s = best_of(runs, report)
        floor_s = best_of(runs, floor)
        groups = len(report()["groups"])
        print(
            f"{label}: report {report_s:.3f} s, floor {floor_s:.3f} s, "
            f"ratio {report_s / floor_s:.2f}, {groups} groups",
            flush=True,
        )
        figures[f"{label}_seconds"] = round(report_s, 4)
        figures[f"{label}_floor_seconds"] = round(floor_s, 4)
        figures[f"{label}_ratio"] = round(report_s / floor_s, 3)
        figures[f"{label}_groups"] = groups
    figures.update(time_kpis(ctx, runs))
    ctx.engine.dispose()
    return figures


def time_kpis(ctx: Any, runs: int) -> dict[str, Any]:
    """The contact KPIs over the year of 2025 by day, and by week and team."""
    figures: dict[str, Any] = {}
    year = (date(2025, 1, 1), date(2026, 1, 1))
    for label, keys in {"kpi_year_day": ("day",), "kpi_year_week_team": ("week", "team")}.items():
        request = ReportRequest(*year, keys)

        def kpis(request: ReportRequest = request) -> Any:
            with ctx.session() as session:
                return contact_kpis(session, request, min_group_size=5)

        groups = len(kpis()["groups"])  # and warm the cache
        seconds = best_of(runs, kpis)
        print(f"{label}: {seconds:.3f} s, {groups} groups", flush=True)
        figures[f"{label}_seconds"] = round(seconds, 4)
        figures[f"{label}_groups"] = groups
    return figures


if __name__ == "__main__":
    main()
