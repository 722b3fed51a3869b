"""Four sampling processes at once reach exactly the decisions of one (SPEC section 3)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from survey.context import Context
from survey.models import Case, SamplingDecision, Survey, SurveyIdentifier
from survey.sampling.job import run_sampling
from tests.factories import bulk_contacts

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import json, sys, time
from survey.context import build_context
from survey.sampling.job import run_sampling
ctx = build_context(json.loads(sys.argv[1]))
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(json.dumps(run_sampling(ctx, batch_size=int(sys.argv[3]))))
ctx.engine.dispose()
"""


def outcome(ctx: Context) -> tuple[dict[str, tuple[bool, str, str]], dict[str, Any]]:
    with ctx.session() as session:
        decided = {
            ref: (drawn, reason, rate)
            for ref, drawn, reason, rate in session.execute(
                select(
                    SamplingDecision.case_ref,
                    SamplingDecision.drawn,
                    SamplingDecision.reason,
                    SamplingDecision.rate,
                )
            )
        }
        surveys = {
            ref: (contact_id, send_at)
            for ref, contact_id, send_at in session.execute(
                select(Survey.case_ref, Survey.contact_id, Survey.send_at)
            )
        }
    return decided, surveys


def forget_decisions(ctx: Context) -> None:
    with ctx.session() as session:
        for table in (SurveyIdentifier, Survey, SamplingDecision):
            session.execute(delete(table))
        session.execute(update(Case).values(decided_at=None))
        session.commit()


@pytest.mark.slow
def test_four_processes_decide_as_one(
    make_ctx: Callable[..., Context], settings_overrides: dict[str, Any]
) -> None:
    ctx = make_ctx(sampling_rate="0.5")
    bulk_contacts(ctx, contacts=20_000, cases=10_000, seed=3)
    run_sampling(ctx, batch_size=500, workers=1)
    alone, alone_surveys = outcome(ctx)
    assert len(alone) == 10_000
    assert "customer_surveyed_recently" in {reason for _, reason, _ in alone.values()}

    forget_decisions(ctx)
    overrides = json.dumps({**settings_overrides, "sampling_rate": "0.5"})
    start = time.time() + 2.0
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, overrides, str(start), "300"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [worker.communicate(timeout=120) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [err for _, err in results]
    decided_per_worker = [
        sum(
            v
            for k, v in json.loads(out.strip().splitlines()[-1]).items()
            if k not in ("postponed", "cancelled")
        )
        for out, _ in results
    ]
    together, together_surveys = outcome(ctx)

    assert together == alone
    assert together_surveys == alone_surveys
    assert sum(decided_per_worker) == 10_000
    if ctx.store.name == "postgresql":
        assert sum(1 for n in decided_per_worker if n > 0) > 1  # the work was really shared
    with ctx.session() as session:
        per_case = session.scalar(
            select(func.count(Survey.case_ref) - func.count(func.distinct(Survey.case_ref)))
        )
    assert per_case == 0

    # One process whose batches are pipelined over several connections decides as one too.
    forget_decisions(ctx)
    counts = run_sampling(ctx, batch_size=500, workers=3)
    assert outcome(ctx) == (alone, alone_surveys)
    assert sum(v for k, v in counts.items() if k not in ("postponed", "cancelled")) == 10_000


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_customer_locks_stay_within_the_lock_table(ctx: Context) -> None:
    """Ten thousand identifiers (a batch at rate 1) take at most LOCK_BUCKETS advisory locks."""
    import hashlib

    from sqlalchemy import text

    from survey.store.postgresql.sampling import LOCK_BUCKETS

    hashes = {hashlib.sha256(str(n).encode()).hexdigest() for n in range(10_000)}
    with ctx.session() as session:
        ctx.store.lock_customers(session, hashes)
        held = session.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid()"
            )
        )
        session.rollback()
    assert held == LOCK_BUCKETS
