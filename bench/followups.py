"""Benchmark of the follow-up job's pass on PostgreSQL (it runs every two minutes).

Loads RESPONSES responses spread over 2025 (bench/report.py's loader), a quarter of them with
consent, then times at the end of 2025 the first pass (raising the follow-ups of the last two
weeks' consented answers that meet a rule) and the steady pass after it (nothing left to
raise), and shows the plan of the steady pass's read. The last line of output is one JSON
object with the figures.

    .venv/bin/python bench/followups.py --responses 1000000
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench.common import fresh_database
from bench.report import LOAD
from survey.context import build_context
from survey.followups.raising import raise_follow_ups

NOW = datetime(2025, 12, 31, 12, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    surveys = int(args.responses * 1.25)
    with fresh_database("postgresql") as url:  # migrated, dropped afterwards
        figures = run(url, surveys, args.runs)
    print(json.dumps(figures))


def run(url: str, surveys: int, runs: int) -> dict[str, Any]:
    ctx = build_context({"database_url": url, "env": "development"})
    params = {"contacts": surveys, "cases": surveys, "surveys": surveys}
    with ctx.engine.begin() as connection:
        for statement in LOAD:
            connection.execute(text(statement), params)
        connection.execute(text("UPDATE response SET contact_consent = (survey_id % 4 = 0)"))
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    with ctx.engine.connect() as connection:
        responses = connection.execute(text("SELECT count(*) FROM response")).scalar_one()
    started = time.perf_counter()
    with ctx.session() as session:
        raised = raise_follow_ups(session, ctx.settings, now=NOW)
    first_s = time.perf_counter() - started
    steady = []
    for _ in range(runs):
        started = time.perf_counter()
        with ctx.session() as session:
            assert raise_follow_ups(session, ctx.settings, now=NOW) == 0
        steady.append(time.perf_counter() - started)
    plan = _plan(ctx)
    print("\n".join(plan), flush=True)
    return {
        "database": "postgresql",
        "responses": responses,
        "raised_first_pass": raised,
        "first_pass_seconds": round(first_s, 3),
        "steady_pass_seconds": round(min(steady), 4),
        "uses_consent_index": any("ix_response_consented" in line for line in plan),
    }


def _plan(ctx: Any) -> list[str]:
    """The plan of the steady pass's read, as PostgreSQL chooses it."""
    from sqlalchemy.dialects import postgresql

    from survey.followups import raising

    captured: list[Any] = []
    with ctx.session() as session:
        original = session.execute

        def capture(statement: Any, *args: Any, **kwargs: Any) -> Any:
            captured.append(statement)
            return original(statement, *args, **kwargs)

        session.execute = capture  # type: ignore[method-assign]
        raising.raise_follow_ups(session, ctx.settings, now=NOW)
        compiled = captured[0].compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
        rows = session.connection().execute(text(f"EXPLAIN {compiled}")).all()
    return [row[0] for row in rows]


if __name__ == "__main__":
    main()
