"""One batch of the sampling job, in named phases: claim, facts, rules, locks, write.

The frequency-cap check and the survey insert of one customer are serialised by the store's
customer locks (advisory locks on the buckets of the customer's identifier hashes on
PostgreSQL, taken in sorted order so that processes never deadlock); a drawn case whose
customer still has an earlier undecided drawn case is left for a later batch, so that any
number of processes reach the decisions of one. The unique constraints on
sampling_decision.case_ref and survey.case_ref are the last guards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from survey.context import Context
from survey.models import Case, DecisionReason
from survey.optouts import opted_out_hashes
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
    local_date,
    within_frequency_cap,
)
from survey.sampling.policy import Policy, PolicyTimeline, policy_timeline
from survey.sampling.questionnaires import Asking, asking
from survey.sampling.reads import capped_surveys, earlier_undecided, surveyed_cases
from survey.store import Decision, store_of

BATCH_SIZE = 10_000
NOT_DRAWN = str(DecisionReason.not_drawn)


@dataclass
class BatchResult:
    claimed: int = 0
    deferred: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class Batch:
    """The facts of one claimed batch that the rules read."""

    now: datetime
    claimed: list[tuple[str, datetime]]
    timeline: PolicyTimeline
    policies: list[Policy]
    fingerprint: str
    drawn: dict[str, CaseView]
    opted: set[str] = field(default_factory=set)
    surveyed: set[str] = field(default_factory=set)
    contenders: list[CaseView] = field(default_factory=list)

    def decision(self, view: CaseView, policy: Policy, reason: str) -> Decision:
        return Decision(
            view.case_ref,
            self.now,
            view.last_closed_at,
            True,
            reason,
            policy.rate,
            self.fingerprint,
            local_date(view.last_closed_at),
        )


def sample_batch(ctx: Context, session: Session, *, batch_size: int = BATCH_SIZE) -> BatchResult:
    """Claim, decide and write one batch in the session's transaction (the caller commits)."""
    claimed = ctx.store.claim_cases(session, batch_size, ctx.now())
    result = BatchResult(claimed=len(claimed))
    if not claimed:
        return result
    batch = read_facts(ctx, session, claimed)
    # First what needs no customer lock, written before the locks are taken, so that another
    # worker's locked phase overlaps this one.
    settled = settle(batch, result.reasons)
    if settled:
        ctx.store.write_decisions(session, settled, [], [])
    if batch.contenders:
        result.deferred = decide_contenders(ctx, session, batch, result.reasons)
    return result


def read_facts(ctx: Context, session: Session, claimed: list[tuple[str, datetime]]) -> Batch:
    """Draw each claimed case, then read what the rules need of the drawn ones."""
    settings = ctx.settings
    timeline = policy_timeline(session)
    policies = [timeline.at(closed) for _, closed in claimed]
    draw = drawer(settings.sampling_secret)
    drawn = {
        ref: CaseView(ref, closed)
        for (ref, closed), policy in zip(claimed, policies, strict=True)
        if draw(ref) < draw_threshold(policy.rate)
    }
    batch = Batch(
        ctx.now(), claimed, timeline, policies, key_fingerprint(settings.sampling_secret), drawn
    )
    load_contacts(ctx.store, session, drawn.values(), settings.identifier_key)
    batch.opted = opted_out_hashes(session, {h for view in drawn.values() for h in view.hashes})
    batch.surveyed = surveyed_cases(session, list(drawn))
    batch.contenders = [
        v
        for v in drawn.values()
        if not any_do_not_survey(v)
        and not (batch.opted & v.hashes.keys())
        and v.case_ref not in batch.surveyed
    ]
    return batch


def settle(batch: Batch, reasons: Counter[str]) -> list[Decision]:
    """The decisions that need no customer lock: cases not drawn, and drawn cases that a rule
    before the frequency cap suppresses (do_not_survey, opt-out, case surveyed)."""
    contending = {v.case_ref for v in batch.contenders}
    settled: list[Decision] = []
    now, fingerprint = batch.now, batch.fingerprint
    for (ref, closed), policy in zip(batch.claimed, batch.policies, strict=True):
        view = batch.drawn.get(ref)
        if view is None:  # most cases: decide(False, None), without the call
            settled.append(
                Decision(
                    ref, now, closed, False, NOT_DRAWN, policy.rate, fingerprint, local_date(closed)
                )
            )
        elif ref not in contending:
            reason = str(decide(True, facts(view, policy, batch, {})))
            reasons[reason] += 1
            settled.append(batch.decision(view, policy, reason))
    reasons[NOT_DRAWN] += len(batch.claimed) - len(batch.drawn)
    return settled


def decide_contenders(ctx: Context, session: Session, batch: Batch, reasons: Counter[str]) -> int:
    """The contenders in order, each customer's cases serialised by the customer locks; writes
    them with their surveys and returns how many wait for another process."""
    ctx.store.lock_customers(session, {h for v in batch.contenders for h in v.hashes})
    blockers = earlier_undecided(ctx, session, batch.timeline, batch.claimed)
    surveyed_at = capped_surveys(session, batch.contenders, batch.timeline)
    decisions: list[Decision] = []
    selected: list[CaseView] = []
    deferred_hashes: set[str] = set()
    deferred: list[str] = []
    for view in batch.contenders:
        if _blocked(view, blockers, deferred_hashes):
            deferred_hashes.update(view.hashes)
            deferred.append(view.case_ref)
            continue
        policy = batch.timeline.at(view.last_closed_at)
        reason = decide(True, facts(view, policy, batch, surveyed_at))
        if reason == DecisionReason.selected:
            selected.append(view)
            for digest in view.hashes:
                surveyed_at.setdefault(digest, []).append(view.last_closed_at)
        reasons[str(reason)] += 1
        decisions.append(batch.decision(view, policy, str(reason)))
    if decisions:  # none when every contender waits for another process
        surveys, identifiers = _surveys_of(selected, batch, asking(ctx.settings, session))
        ctx.store.write_decisions(session, decisions, surveys, identifiers)
    release(session, deferred)
    return len(deferred)


def _surveys_of(
    selected: list[CaseView], batch: Batch, ask: Asking
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    surveys = [survey_row(view, batch.timeline, batch.now, *ask(view)) for view in selected]
    identifiers = [
        {"case_ref": v.case_ref, "identifier_hash": h, "kind": kind, "closed_at": v.last_closed_at}
        for v in selected
        for h, kind in v.hashes.items()
    ]
    return surveys, identifiers


def facts(
    view: CaseView, policy: Policy, batch: Batch, surveyed_at: dict[str, list[datetime]]
) -> CaseFacts:
    """What the suppression rules ask of a drawn case."""
    surveyed = view.case_ref in batch.surveyed
    if not view.contacts:  # erased before the draw: nobody to ask
        return CaseFacts(False, False, surveyed, False, False, reachable=False)
    last = view.last
    closed, cap = view.last_closed_at, policy.frequency_cap_days
    return CaseFacts(
        do_not_survey=any_do_not_survey(view),
        opted_out=bool(batch.opted & view.hashes.keys()),
        case_already_surveyed=surveyed,
        surveyed_recently=any(
            within_frequency_cap(at, closed, cap)
            for digest in view.hashes
            for at in surveyed_at.get(digest, ())
        ),
        too_old=is_too_old(last.closed_at, last.received_at, policy.max_contact_age_hours),
        reachable=address(view) is not None,
    )


def _blocked(view: CaseView, blockers: dict[str, Key], deferred: set[str]) -> bool:
    """Whether an identifier of the case waits: deferred, or an earlier undecided drawn case's."""
    if deferred & view.hashes.keys():
        return True
    key = view.key
    return any(blockers.get(digest, key) < key for digest in view.hashes)


def release(session: Session, refs: list[str]) -> None:
    """Leave deferred cases undecided for a later batch."""
    for condition in store_of(session).among(session, col(Case.case_ref), refs):
        session.execute(
            update(Case)
            .where(condition)
            .values(decided_at=None)
            .execution_options(synchronize_session=False)
        )
