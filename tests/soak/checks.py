"""What a soak must leave behind, read from the database and from what the fakes received."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from survey.context import Context
from survey.models import (
    AuditLog,
    Case,
    Contact,
    DeliveryStatus,
    ErrorCategory,
    SamplingDecision,
    Survey,
)
from survey.sampling.draw import is_drawn
from survey.sampling.verify import verify_decisions
from tests.soak.providers import Providers

UNSETTLED = (DeliveryStatus.scheduled, DeliveryStatus.sending)


@dataclass
class Findings:
    cases_planned: int = 0
    contacts_planned: int = 0
    cases: int = 0
    contacts: int = 0
    decisions: int = 0
    undecided: int = 0
    draw_mismatches: int = 0  # a decision other than the keyed-hash draw, or none
    verify_mismatches: int = 0  # `survey audit verify`'s
    reasons: dict[str, int] = field(default_factory=dict)
    surveys: int = 0
    cases_with_two_surveys: int = 0
    delivery: dict[str, int] = field(default_factory=dict)
    twilio_faults: dict[str, int] = field(default_factory=dict)  # requests by fault answered
    smtp_outage_seconds: float = 0.0
    retried_sends: int = 0  # surveys sent again after an answer that proved nothing went
    reconciled: int = 0  # `unknown` surveys settled by asking Twilio
    sms_taken: int = 0
    emails_received: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)
    opt_outs: int = 0
    sends_after_opt_out: int = 0  # claimed after the opt-out's 201 had come back
    sends_in_flight_at_opt_out: int = 0  # taken by a fake after the opt-out was asked for
    sent_without_message: int = 0
    message_without_send: int = 0  # a fake got it, the survey says failed/cancelled/scheduled
    unsettled: int = 0  # scheduled, sending, or an SMS still unknown
    unknown_without_reason: int = 0
    kills: int = 0
    unknown_after_kills: int = 0
    unknown_bound: int = 0  # dispatch concurrency x kills
    lag: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def unsettled_count(ctx: Context) -> int:
    """Surveys still to be sent, in flight, or SMS whose fate Twilio has not been asked about."""
    with ctx.session() as session:
        return _count(
            session,
            select(func.count())
            .select_from(Survey)
            .where(
                col(Survey.delivery_status).in_([str(s) for s in UNSETTLED])
                | (
                    (col(Survey.delivery_status) == DeliveryStatus.unknown)
                    & (col(Survey.send_channel) == "sms")
                )
            ),
        )


def interrupted_unknown(ctx: Context) -> int:
    """Surveys left `unknown` because the sending process died (their lease ran out)."""
    with ctx.session() as session:
        return _count(
            session,
            select(func.count())
            .select_from(Survey)
            .where(col(Survey.delivery_status) == DeliveryStatus.unknown)
            .where(col(Survey.error_category) == ErrorCategory.interrupted),
        )


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def check(run: Any, ctx: Context, providers: Providers) -> Findings:
    """Every figure the soak asserts on, from the database and the fakes."""
    found = Findings(
        cases_planned=run.size.cases,
        contacts_planned=run.size.contacts,
        opt_outs=len(run.opt_outs),
        kills=run.kills,
        unknown_after_kills=run.unknown_after_kills,
        unknown_bound=run.size.concurrency * run.kills,
        lag=run.lag,
    )
    with ctx.session() as session:
        _decisions(found, run, ctx, session)
        surveys = list(session.exec(select(Survey)).scalars())  # type: ignore[call-overload]
        found.reconciled = _count(
            session,
            select(func.count())
            .select_from(AuditLog)
            .where(col(AuditLog.action) == "survey.reconciled"),
        )
    found.twilio_faults = dict(providers.faults)
    found.smtp_outage_seconds = round(sum(end - begin for begin, end in providers.outages), 1)
    _surveys(found, surveys)
    _messages(found, run, surveys, providers)
    return found


def _decisions(found: Findings, run: Any, ctx: Context, session: Session) -> None:
    found.cases = _count(session, select(func.count()).select_from(Case))
    found.contacts = _count(session, select(func.count()).select_from(Contact))
    found.undecided = _count(
        session, select(func.count()).select_from(Case).where(col(Case.decided_at).is_(None))
    )
    rows = session.execute(
        select(
            col(SamplingDecision.case_ref),
            col(SamplingDecision.drawn),
            col(SamplingDecision.reason),
        )
    ).all()
    found.decisions = len(rows)
    found.reasons = dict(Counter(reason for _, _, reason in rows))
    recorded = {ref: drawn for ref, drawn, _ in rows}
    secret, rate = run.settings["sampling_secret"], run.settings["sampling_rate"]
    found.draw_mismatches = sum(
        recorded.get(case.case_ref) != is_drawn(secret, case.case_ref, rate)
        for case in run.population.cases
    )
    now = ctx.now()
    verified = verify_decisions(
        session, ctx.settings, start=now - timedelta(days=30), end=now + timedelta(days=1)
    )
    found.verify_mismatches = len(verified.mismatches) + abs(verified.checked - found.cases)


def _surveys(found: Findings, surveys: list[Survey]) -> None:
    found.surveys = len(surveys)
    per_case = Counter(s.case_ref for s in surveys)
    found.cases_with_two_surveys = sum(n > 1 for n in per_case.values())
    found.delivery = dict(Counter(str(s.delivery_status) for s in surveys))
    found.retried_sends = sum(s.attempts > 1 for s in surveys)
    found.unsettled = sum(
        s.delivery_status in UNSETTLED
        or (s.delivery_status == DeliveryStatus.unknown and s.send_channel == "sms")
        for s in surveys
    )
    found.unknown_without_reason = sum(
        s.delivery_status == DeliveryStatus.unknown and not (s.last_error and s.error_category)
        for s in surveys
    )


def _messages(found: Findings, run: Any, surveys: list[Survey], providers: Providers) -> None:
    sms, mail = providers.sms_by_survey(), providers.mail_by_survey()
    found.sms_taken = sum(len(m) for m in sms.values())
    found.emails_received = sum(len(m) for m in mail.values())
    found.duplicates = providers.duplicates()
    cases = run.population.by_ref()
    opted: dict[int, Any] = {}
    for sent in run.opt_outs:
        index = sent.plan.customer.index
        if index not in opted or sent.acknowledged_at < opted[index].acknowledged_at:
            opted[index] = sent
    for survey in surveys:
        assert survey.id is not None
        times = [m["received_at"] for m in sms.get(survey.id, [])]
        times += [m.received_at for m in mail.get(survey.id, [])]
        status = survey.delivery_status
        if status in (DeliveryStatus.sent, DeliveryStatus.delivered) and not times:
            found.sent_without_message += 1
        if times and status not in (
            DeliveryStatus.sent,
            DeliveryStatus.delivered,
            DeliveryStatus.unknown,
        ):
            found.message_without_send += 1
        opt_out = opted.get(cases[survey.case_ref].customer.index)
        if not times or opt_out is None:
            continue
        assert survey.attempted_at is not None
        if survey.attempted_at.timestamp() > opt_out.acknowledged_at:
            found.sends_after_opt_out += 1
        elif max(times) > opt_out.requested_at:
            found.sends_in_flight_at_opt_out += 1
