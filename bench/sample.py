"""Sampling throughput: one pass of the sampling job over N contacts in M cases, against a floor.

Usage: python bench/sample.py [--contacts 1000000] [--cases 500000] [--databases postgresql,sqlite]
The floor is one INSERT ... SELECT that writes the same number of sampling_decision rows, run
before and after the pass (the baseline is their mean). Each of the three starts right after a
CHECKPOINT, from the same state of the write-ahead log. The synthetic contacts and cases lie in
the tables in the order ingestion would store them, with case references numbered as a ticket
system numbers cases (tests.factories.bulk_rows): both the floor and the pass depend on it.
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text

from bench.common import emit, fresh_database, overrides
from survey.context import Context
from survey.models import SamplingDecision, Survey
from survey.sampling.batch import BATCH_SIZE
from survey.sampling.job import run_sampling
from survey.startup import start_context
from tests.factories import bulk_contacts, bulk_rows, make_actor

FLOOR = """
INSERT INTO sampling_decision
    (case_ref, decided_at, last_closed_at, drawn, reason, rate, key_fingerprint)
SELECT case_ref, last_closed_at, last_closed_at, false, 'not_drawn', '0.2', :fingerprint
FROM customer_case
"""


def load(ctx: Context, contacts: int, cases: int) -> None:
    """The contacts and their cases; COPY on PostgreSQL (loading is not what is measured)."""
    if ctx.store.name != "postgresql":
        bulk_contacts(ctx, contacts=contacts, cases=cases, seed=11)
        return
    with ctx.session() as session:
        actors = [make_actor(session, f"bench-{i}") for i in range(3)]
    case_rows, rows = bulk_rows(actors, contacts=contacts, cases=cases, seed=11)
    raw = ctx.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            for table, values in (("customer_case", case_rows), ("contact", rows)):
                columns = list(values[0])
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def clear_decisions(ctx: Context) -> None:
    tables = ("survey_identifier", "survey", "sampling_decision")
    with ctx.engine.begin() as connection:
        if ctx.store.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
            return
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))


def settle(ctx: Context) -> None:
    """The same starting state for the floor and the pass: fresh statistics, and a checkpoint.

    Right after a checkpoint, the first change to each page writes the whole page to the WAL;
    without one, the floor and the pass would pay that as the last load or run left it.
    """
    if ctx.store.name == "postgresql":
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE sampling_decision"))
            c.execute(text("CHECKPOINT"))


def floor_seconds(ctx: Context) -> float:
    clear_decisions(ctx)
    settle(ctx)
    started = time.perf_counter()
    with ctx.engine.begin() as connection:
        connection.execute(text(FLOOR), {"fingerprint": "0" * 64})
    return time.perf_counter() - started


def bench(kind: str, contacts: int, cases: int, batch: int) -> dict[str, Any]:
    with fresh_database(kind) as url, tempfile.TemporaryDirectory() as instance:
        ctx = start_context(overrides(url, Path(instance)))
        started = time.perf_counter()
        load(ctx, contacts, cases)
        load_seconds = time.perf_counter() - started
        if kind == "postgresql":
            with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        # The floor once before and once after the pass, their mean the baseline: a change in
        # the machine's speed during the run (other tenants) then falls on both sides alike.
        floors = [floor_seconds(ctx)]
        clear_decisions(ctx)
        settle(ctx)
        started = time.perf_counter()
        counts = run_sampling(ctx, batch_size=batch, max_seconds=3600)
        seconds = time.perf_counter() - started
        with ctx.session() as session:
            decided = session.scalar(select(func.count()).select_from(SamplingDecision)) or 0
            surveys = session.scalar(select(func.count()).select_from(Survey)) or 0
        print(f"{kind}: {decided} cases in {seconds:.1f} s ({decided / seconds:.0f}/s)", flush=True)
        floors.append(floor_seconds(ctx))
        floor = sum(floors) / len(floors)
        ctx.engine.dispose()
    print(f"{kind}: floor {floors[0]:.1f} s before, {floors[1]:.1f} s after, {counts}", flush=True)
    return {
        "contacts": contacts,
        "cases": decided,
        "surveys": surveys,
        "load_seconds": round(load_seconds, 2),
        "seconds": round(seconds, 2),
        "cases_per_second": round(decided / seconds),
        "floor_seconds": round(floor, 2),
        "floor_seconds_before_and_after": [round(f, 2) for f in floors],
        "floor_rows_per_second": round(decided / floor),
        "ratio_to_floor": round(seconds / floor, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=BATCH_SIZE)
    parser.add_argument("--databases", default="postgresql,sqlite")
    args = parser.parse_args()
    results = {
        kind: bench(kind, args.contacts, args.cases, args.batch)
        for kind in args.databases.split(",")
    }
    emit({"benchmark": "sample", **results})


if __name__ == "__main__":
    main()
