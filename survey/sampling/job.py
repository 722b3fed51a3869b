"""The sampling job: draw each newly closed case once, apply the suppression rules, schedule.

Batches of undecided cases are claimed in order of (last closure, case_ref) by the store (with
FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE) and
decided by survey.sampling.batch. Several workers, threads or processes, reach the decisions
of one (see the batch module for how).
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from survey.context import Context
from survey.sampling.batch import BATCH_SIZE, sample_batch
from survey.sampling.postpone import cancel_do_not_survey, postpone_surveys


def run_sampling(
    ctx: Context,
    *,
    batch_size: int = BATCH_SIZE,
    max_seconds: float = 50.0,
    workers: int | None = None,
) -> dict[str, int]:
    """Decide every undecided case (within `max_seconds`), then postpone or cancel; counts.

    By default as many workers as pay off on the store (threads, each with its own
    connection): on PostgreSQL, while one waits for its customers' locks and writes, the other
    claims and reads the next batch, so the Python work overlaps the database's.
    """
    workers = workers or ctx.store.sampling_workers
    deadline = time.monotonic() + max_seconds
    totals: Counter[str] = Counter()
    if workers == 1:
        totals = _decide_until_done(ctx, batch_size, deadline)
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="sampling") as pool:
            running = [
                pool.submit(_decide_until_done, ctx, batch_size, deadline) for _ in range(workers)
            ]
            for future in running:
                totals.update(future.result())
    with ctx.session() as session:
        totals["postponed"] = postpone_surveys(ctx, session)
        totals["cancelled"] = cancel_do_not_survey(session)
        session.commit()
    return {str(reason): count for reason, count in totals.items()}


def _decide_until_done(ctx: Context, batch_size: int, deadline: float) -> Counter[str]:
    totals: Counter[str] = Counter()
    while time.monotonic() < deadline:
        with ctx.session() as session:
            result = sample_batch(ctx, session, batch_size=batch_size)
            session.commit()
        totals.update(result.reasons)
        if result.claimed == 0:
            break
        if result.claimed == result.deferred:
            time.sleep(0.05)  # every claimed case waits for another worker's batch
    return totals
