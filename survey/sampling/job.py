"""The sampling job: draw each newly closed case once, apply the suppression rules, schedule.

Batches of undecided cases are claimed in order of (last closure, case_ref), with
FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite serialises writers with BEGIN IMMEDIATE).
The frequency-cap check and the survey insert of one customer are serialised by advisory
locks on the buckets of the customer's identifier hashes, taken in sorted order so that
processes never deadlock; a drawn case whose customer still has an earlier undecided
drawn case is left for a later batch, so that any number of processes reach the decisions
of one. The unique
constraints on sampling_decision.case_ref and survey.case_ref are the last guards.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from psycopg.errors import UniqueViolation
from sqlalchemy import select, text, update
from sqlmodel import Session, col

from survey.context import Context
from survey.models import (
    Case,
    DecisionReason,
    DeliveryStatus,
    SamplingDecision,
    Survey,
    SurveyIdentifier,
)
from survey.respondent.optouts import opted_out_hashes
from survey.sampling.attribution import (
    CaseView,
    Key,
    address,
    any_do_not_survey,
    load_contacts,
    survey_row,
)
from survey.sampling.draw import (
    CaseFacts,
    decide,
    draw_threshold,
    drawer,
    is_too_old,
    key_fingerprint,
    within_frequency_cap,
)
from survey.sampling.policy import Policy, PolicyTimeline, policy_timeline
from survey.sampling.postpone import cancel_do_not_survey, postpone_surveys
from survey.store.bulk import among, copy_rows, execute_binary, insert_rows, unnest_select

# Surveys that count against the frequency cap: scheduled or (possibly) sent.
CAPPED_STATUSES = (
    DeliveryStatus.scheduled,
    DeliveryStatus.sending,
    DeliveryStatus.sent,
    DeliveryStatus.delivered,
    DeliveryStatus.unknown,
)
BATCH_SIZE = 10_000
NOT_DRAWN = str(DecisionReason.not_drawn)
PIPELINE_WORKERS = 2


@dataclass
class BatchResult:
    claimed: int = 0
    deferred: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def run_sampling(
    ctx: Context,
    *,
    batch_size: int = BATCH_SIZE,
    max_seconds: float = 50.0,
    workers: int | None = None,
) -> dict[str, int]:
    """Decide every undecided case (within `max_seconds`), then postpone or cancel; counts.

    On PostgreSQL two workers (threads, each with its own connection) run side by side by
    default: while one waits for its customers' locks and writes, the other claims and reads
    the next batch, so the Python work overlaps the database's. The locks and the deferral
    make the decisions those of one worker (the concurrency tests run several processes).
    """
    if workers is None:
        workers = PIPELINE_WORKERS if ctx.dialect == "postgresql" else 1
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


def sample_batch(ctx: Context, session: Session, *, batch_size: int = BATCH_SIZE) -> BatchResult:
    """Claim, decide and write one batch in the session's transaction (the caller commits)."""
    now = ctx.now()
    claimed = _claim(session, ctx.dialect, batch_size, now)
    result = BatchResult(claimed=len(claimed))
    if not claimed:
        return result
    settings = ctx.settings
    timeline = policy_timeline(session, settings)
    secret = settings.sampling_secret
    policies = [timeline.at(closed) for _, closed in claimed]
    draw = drawer(secret)
    drawn = {
        ref: CaseView(ref, closed)
        for (ref, closed), policy in zip(claimed, policies, strict=True)
        if draw(ref) < draw_threshold(policy.rate)
    }
    load_contacts(session, drawn.values(), settings.identifier_key)
    opted = opted_out_hashes(session, {h for view in drawn.values() for h in view.hashes})
    surveyed = _surveyed_cases(session, list(drawn))
    contenders = [
        v
        for v in drawn.values()
        if not any_do_not_survey(v) and not (opted & v.hashes.keys()) and v.case_ref not in surveyed
    ]
    fingerprint = key_fingerprint(secret)

    def decision(ref: str, closed: datetime, rate: str, was_drawn: bool, reason: str) -> Decision:
        result.reasons[reason] += 1
        return (ref, now, closed, was_drawn, reason, rate, fingerprint)

    # First what needs no customer lock: cases not drawn, and drawn cases that a rule before
    # the frequency cap suppresses (do_not_survey, opt-out, case surveyed). Written before the
    # locks are taken, so that another worker's locked phase overlaps this one.
    contending = {v.case_ref for v in contenders}
    settled: list[Decision] = []
    for (ref, closed), policy in zip(claimed, policies, strict=True):
        view = drawn.get(ref)
        if view is None:  # most cases: decide(False, None), without the call
            settled.append((ref, now, closed, False, NOT_DRAWN, policy.rate, fingerprint))
        elif ref not in contending:
            reason = decide(True, _facts(view, policy, opted, surveyed, {}))
            settled.append(decision(ref, closed, policy.rate, True, str(reason)))
    result.reasons[NOT_DRAWN] += len(claimed) - len(drawn)
    if settled:
        _write(session, ctx.dialect, settled, [], [])
    if not contenders:
        return result
    # Then the contenders, in order, each customer's cases serialised by the customer locks.
    if ctx.dialect == "postgresql":
        _lock_customers(session, {h for v in contenders for h in v.hashes})
    blockers = _earlier_undecided(ctx, session, timeline, claimed)
    surveyed_at = _capped_surveys(session, contenders, timeline)
    decisions: list[Decision] = []
    selected: list[CaseView] = []
    deferred_hashes: set[str] = set()
    deferred: list[str] = []
    for view in contenders:
        ref, closed = view.case_ref, view.last_closed_at
        if _blocked(view, blockers, deferred_hashes):
            deferred_hashes.update(view.hashes)
            deferred.append(ref)
            continue
        policy = timeline.at(closed)
        reason = decide(True, _facts(view, policy, opted, surveyed, surveyed_at))
        if reason == DecisionReason.selected:
            selected.append(view)
            for digest in view.hashes:
                surveyed_at.setdefault(digest, []).append(closed)
        decisions.append(decision(ref, closed, policy.rate, True, str(reason)))
    surveys = [survey_row(view, timeline, now) for view in selected]
    identifiers = [
        {"case_ref": v.case_ref, "identifier_hash": h, "kind": kind, "closed_at": v.last_closed_at}
        for v in selected
        for h, kind in v.hashes.items()
    ]
    if decisions:  # none when every contender waits for another process
        _write(session, ctx.dialect, decisions, surveys, identifiers)
    _release(session, deferred)
    result.deferred = len(deferred)
    return result


def _facts(
    view: CaseView,
    policy: Policy,
    opted: set[str],
    surveyed: set[str],
    surveyed_at: dict[str, list[datetime]],
) -> CaseFacts:
    if not view.contacts:  # erased before the draw: nobody to ask
        return CaseFacts(False, False, view.case_ref in surveyed, False, False, reachable=False)
    last = view.last
    closed, cap = view.last_closed_at, policy.frequency_cap_days
    return CaseFacts(
        do_not_survey=any_do_not_survey(view),
        opted_out=bool(opted & view.hashes.keys()),
        case_already_surveyed=view.case_ref in surveyed,
        surveyed_recently=any(
            within_frequency_cap(at, closed, cap)
            for digest in view.hashes
            for at in surveyed_at.get(digest, ())
        ),
        too_old=is_too_old(last.closed_at, last.received_at, policy.max_contact_age_hours),
        reachable=address(view) is not None,
    )


def _claim(session: Session, dialect: str, limit: int, now: datetime) -> list[tuple[str, datetime]]:
    """Mark the next undecided cases decided (in this transaction) and return them in order."""
    if dialect == "postgresql":  # in order already, as plain tuples, read in binary
        rows = execute_binary(
            session, _CLAIM_PG, {"now": now, "limit": limit}, fetch=True, binary=True, tuples=True
        )
        return cast(list[tuple[str, datetime]], rows)
    oldest = (
        select(col(Case.case_ref))
        .where(col(Case.decided_at).is_(None))
        .order_by(col(Case.last_closed_at), col(Case.case_ref))
        .limit(limit)
    )
    updated = session.execute(
        update(Case)
        .where(col(Case.case_ref).in_(oldest.scalar_subquery()))
        .values(decided_at=now)
        .returning(col(Case.case_ref), col(Case.last_closed_at))
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(((row[0], row[1]) for row in updated), key=lambda item: (item[1], item[0]))


# Code-point order of case_ref ("C"), as Python compares: the column's own collation, and
# SQLite's default. The partial undecided index gives the whole order (no sort of every
# undecided case), and the update finds the locked rows by ctid instead of joining the whole
# table.
_CLAIM_PG = """
    WITH claimed AS (
        UPDATE customer_case SET decided_at = %(now)s
        WHERE decided_at IS NULL AND ctid = ANY(ARRAY(
            SELECT ctid FROM customer_case
            WHERE decided_at IS NULL
            ORDER BY last_closed_at, case_ref COLLATE "C"
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        ))
        RETURNING case_ref, last_closed_at
    )
    SELECT case_ref, last_closed_at FROM claimed ORDER BY last_closed_at, case_ref COLLATE "C"
    """


def _surveyed_cases(session: Session, refs: list[str]) -> set[str]:
    found: set[str] = set()
    for condition in among(session, col(Survey.case_ref), refs):
        found.update(session.scalars(select(col(Survey.case_ref)).where(condition)))
    return found


# Customers are serialised through a fixed set of lock buckets, not one lock per identifier:
# a batch at a sampling rate of 1 has thousands of identifiers, and PostgreSQL's lock table
# (max_locks_per_transaction x connections, about 6,400 by default) would run out. The same
# customer always maps to the same buckets, so the serialisation holds.
LOCK_CLASS = 0x53757276  # "Surv": the first key of the two-key advisory lock form
LOCK_BUCKETS = 256


def lock_buckets(hashes: set[str]) -> list[int]:
    return sorted({int(h[:16], 16) % LOCK_BUCKETS for h in hashes})


def _lock_customers(session: Session, hashes: set[str]) -> None:
    # One sorted sweep per transaction: every process takes the locks in the same order.
    buckets = lock_buckets(hashes)
    if buckets:
        session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(:lock_class, b)) "
                "FROM unnest(CAST(:buckets AS integer[])) b"
            ),
            {"lock_class": LOCK_CLASS, "buckets": buckets},
        )


def _earlier_undecided(
    ctx: Context, session: Session, timeline: PolicyTimeline, claimed: list[tuple[str, datetime]]
) -> dict[str, Key]:
    """Identifier hash -> the first key of the drawn cases with that identifier that other
    processes have not decided yet and that come before our last."""
    ours = {ref for ref, _ in claimed}
    last = max(closed for _, closed in claimed)
    # Ordered as the undecided index is, so that the planner walks the index, not the table.
    rows = (
        session.connection()
        .execute(
            select(col(Case.case_ref), col(Case.last_closed_at))
            .where(col(Case.decided_at).is_(None))
            .where(col(Case.last_closed_at) <= last)
            .order_by(col(Case.last_closed_at))
        )
        .all()
    )
    draw = drawer(ctx.settings.sampling_secret)
    views = {
        ref: CaseView(ref, closed)
        for ref, closed in rows
        if ref not in ours and draw(ref) < draw_threshold(timeline.at(closed).rate)
    }
    load_contacts(session, views.values(), ctx.settings.identifier_key)
    first: dict[str, Key] = {}
    for view in views.values():
        for digest in view.hashes:
            if digest not in first or view.key < first[digest]:
                first[digest] = view.key
    return first


def _blocked(view: CaseView, blockers: dict[str, Key], deferred: set[str]) -> bool:
    """Whether an identifier of the case waits: deferred, or an earlier undecided drawn case's."""
    if deferred & view.hashes.keys():
        return True
    key = view.key
    return any(blockers.get(digest, key) < key for digest in view.hashes)


def _capped_surveys(
    session: Session, views: list[CaseView], timeline: PolicyTimeline
) -> dict[str, list[datetime]]:
    """Identifier hash -> closures of surveys that may count against the views' frequency cap."""
    hashes = sorted({h for view in views for h in view.hashes})
    if not hashes:
        return {}
    cap = max(timeline.at(view.last_closed_at).frequency_cap_days for view in views)
    low = min(view.last_closed_at for view in views) - timedelta(days=cap)
    high = max(view.last_closed_at for view in views) + timedelta(days=cap)
    counted = (
        select(col(Survey.id))
        .where(col(Survey.id) == col(SurveyIdentifier.survey_id))
        .where(col(Survey.delivery_status).in_([str(s) for s in CAPPED_STATUSES]))
    )
    found: dict[str, list[datetime]] = {}
    for condition in among(session, col(SurveyIdentifier.identifier_hash), hashes):
        # EXISTS, not a join: joined, SQLite would scan every survey by its status index.
        rows = session.connection().execute(  # Core rows: no ORM result steps
            select(col(SurveyIdentifier.identifier_hash), col(SurveyIdentifier.closed_at))
            .where(condition)
            .where(col(SurveyIdentifier.closed_at).between(low, high))
            .where(counted.exists())
        )
        for digest, closed_at in rows:
            found.setdefault(digest, []).append(closed_at)
    return found


_SKIP_DECIDED = "ON CONFLICT (case_ref) DO NOTHING"  # decided before

# A decision as a row of these columns, in the order _write's COPY sends them.
Decision = tuple[str, datetime, datetime, bool, str, str, str]
DECISION_COLUMNS = (
    "case_ref",
    "decided_at",
    "last_closed_at",
    "drawn",
    "reason",
    "rate",
    "key_fingerprint",
)


def _decision_row(decision: Decision) -> dict[str, Any]:
    return dict(zip(DECISION_COLUMNS, decision, strict=True))


def _write(
    session: Session,
    dialect: str,
    decisions: list[Decision],
    surveys: list[dict[str, Any]],
    identifiers: list[dict[str, Any]],
) -> None:
    """The decisions, with the surveys and survey identifiers of the selected cases.

    On PostgreSQL, decisions that bring no survey go in by COPY: heap pages filled in bulk, no
    speculative insertion of ON CONFLICT. A case decided before (the claim's row locks keep two
    processes apart, but the unique constraint is the last guard) fails the COPY at that
    constraint: the batch then goes in again, from a savepoint, as _write_postgresql writes it,
    and the first decision stands.
    """
    if dialect != "postgresql":
        _write_in_steps(session, [_decision_row(d) for d in decisions], surveys, identifiers)
        return
    if not surveys:
        try:
            with session.begin_nested():
                copy_rows(session, _table(SamplingDecision), DECISION_COLUMNS, decisions)
            return
        except UniqueViolation:
            pass
    _write_postgresql(session, [_decision_row(d) for d in decisions], surveys, identifiers)


def _write_postgresql(
    session: Session,
    decisions: list[dict[str, Any]],
    surveys: list[dict[str, Any]],
    identifiers: list[dict[str, Any]],
) -> None:
    """The batch's decisions, surveys and survey identifiers in one statement.

    A survey joins the decision the same statement inserted: a case whose decision was
    written before (a conflict) gets no survey from us. Only column names from the
    models go into the SQL text; every value is a parameter.
    """
    names, rows, params = unnest_select(session, _table(SamplingDecision).c, decisions, prefix="d")
    insert = f"INSERT INTO sampling_decision ({', '.join(names)}) {rows} " + _SKIP_DECIDED
    if not surveys:  # no survey to join: nothing to return
        execute_binary(session, insert, params)
        return
    sql = [f"WITH decided AS ({insert} RETURNING id, case_ref)"]
    names, rows, more = unnest_select(session, _table(Survey).c, surveys, prefix="s")
    params.update(more)
    sql += [
        f", surveyed AS (INSERT INTO survey (decision_id, {', '.join(names)})",
        f"SELECT decided.id, {', '.join('s.' + n for n in names)}",
        f"FROM ({rows}) s JOIN decided USING (case_ref)",
        "ON CONFLICT (case_ref) DO NOTHING RETURNING id, case_ref)",
    ]
    if identifiers:
        columns = {**dict(_table(SurveyIdentifier).c), "case_ref": _table(Survey).c.case_ref}
        names, rows, more = unnest_select(session, columns, identifiers, prefix="i")
        params.update(more)
        names.remove("case_ref")
        sql += [
            f"INSERT INTO survey_identifier (survey_id, {', '.join(names)})",
            f"SELECT surveyed.id, {', '.join('i.' + n for n in names)}",
            f"FROM ({rows}) i JOIN surveyed USING (case_ref)",
        ]
    else:
        sql.append("SELECT count(*) FROM decided")
    execute_binary(session, " ".join(sql), params)


def _write_in_steps(
    session: Session,
    decisions: list[dict[str, Any]],
    surveys: list[dict[str, Any]],
    identifiers: list[dict[str, Any]],
) -> None:
    """The same writes as _write_postgresql, one table at a time (SQLite)."""
    inserted = insert_rows(
        session,
        _table(SamplingDecision),
        decisions,
        conflict="case_ref",
        returning=("id", "case_ref"),
    )
    decision_ids = {row.case_ref: row.id for row in inserted}
    # A case whose decision another process wrote first (a conflict) gets no survey from us.
    rows = [
        {**row, "decision_id": decision_ids[row["case_ref"]]}
        for row in surveys
        if row["case_ref"] in decision_ids
    ]
    inserted = insert_rows(
        session, _table(Survey), rows, conflict="case_ref", returning=_ID_AND_CASE
    )
    survey_ids = {row.case_ref: row.id for row in inserted}
    rows = [
        {"survey_id": survey_ids[row["case_ref"]], **_without(row, "case_ref")}
        for row in identifiers
        if row["case_ref"] in survey_ids
    ]
    insert_rows(session, _table(SurveyIdentifier), rows)


_ID_AND_CASE = ("id", "case_ref")


def _table(model: Any) -> Any:
    return model.__table__


def _without(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != key}


def _release(session: Session, refs: list[str]) -> None:
    """Leave deferred cases undecided for a later batch."""
    for condition in among(session, col(Case.case_ref), refs):
        session.execute(
            update(Case)
            .where(condition)
            .values(decided_at=None)
            .execution_options(synchronize_session=False)
        )
