"""Reconcile `unknown` SMS surveys with Twilio (SPEC section 6, last paragraph).

A send whose answer was lost may or may not have reached Twilio. Twilio is asked for its
messages to the recipient (the Messages list by To), and the survey's message is recognised by
its survey link in the body. Found, the survey takes Twilio's status (`sent`, `delivered`,
`failed`). Not found one hour after the send's validity period (900 s) ended, the message can
no longer go out: the survey is scheduled again, once; if that send too ends `unknown` and
Twilio again holds nothing, it is `failed`. Every move is audited. E-mail `unknown` stays.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlmodel import Session, col, select
from twilio.base.exceptions import TwilioException

from survey.accounts.audit_log import audit
from survey.channels.base import MessageLookup, ProviderMessage
from survey.channels.twilio import CATEGORIES, VALIDITY_PERIOD_SECONDS
from survey.context import Context
from survey.delivery.dispatch import CLAIM_LEASE, mark_sent
from survey.delivery.errors import note_reason
from survey.delivery.status_callbacks import TWILIO_STATUS
from survey.models import DeliveryStatus, ErrorCategory, Survey
from survey.tokens import survey_url

log = logging.getLogger(__name__)

# After the claim's lease nothing more can reach Twilio; after the validity period Twilio sends
# nothing more; an hour beyond that, its silence is taken as proof that nothing went.
SILENCE_PROVES_NOTHING_SENT = (
    CLAIM_LEASE + timedelta(seconds=VALIDITY_PERIOD_SECONDS) + timedelta(hours=1)
)
RUN_LIMIT = 100  # surveys asked about per run
NOT_FOUND = "Twilio holds no such message"


@dataclass(frozen=True)
class Candidate:
    id: int
    to: str
    attempted_at: datetime | None


def reconcile_unknown_sms(
    ctx: Context, *, lookup: MessageLookup | None = None, limit: int = RUN_LIMIT
) -> dict[str, int]:
    """One pass over the `unknown` SMS surveys; returns counts by what became of them."""
    if lookup is None:
        if ctx.settings.sms_backend != "twilio":
            return {}  # the outbox stores each message: it never leaves a send unknown
        from survey.channels.twilio import TwilioChannel

        lookup = TwilioChannel.from_settings(ctx.settings)
    counts: Counter[str] = Counter()
    with ctx.store.singleton("reconcile", now=ctx.now(), lease=timedelta(minutes=10)) as mine:
        if not mine:
            return {"skipped": 1}
        for candidate in _candidates(ctx, limit):
            if ctx.stopping.is_set():  # SIGTERM: the next run asks about the rest
                break
            try:
                held = lookup.messages_to(candidate.to)
            except (TwilioException, requests.RequestException) as exc:
                log.warning("asking Twilio about survey %s failed: %s", candidate.id, type(exc))
                counts["lookup_failed"] += 1
                continue
            link = survey_url(ctx.settings.base_url, ctx.settings.secret_key, candidate.id)
            found = next((m for m in held if link in m.body), None)
            counts[_settle(ctx, candidate.id, found)] += 1
    return dict(counts)


def _candidates(ctx: Context, limit: int) -> list[Candidate]:
    with ctx.session() as session:
        rows = session.exec(
            select(col(Survey.id), col(Survey.to_address), col(Survey.attempted_at))
            .where(col(Survey.delivery_status) == DeliveryStatus.unknown)
            .where(col(Survey.send_channel) == "sms")
            .where(col(Survey.to_address).is_not(None))
            .order_by(col(Survey.attempted_at), col(Survey.id))
            .limit(limit)
        ).all()
    return [Candidate(int(i), str(to), at) for i, to, at in rows if i is not None]


def _settle(ctx: Context, survey_id: int, found: ProviderMessage | None) -> str:
    """Move one survey by what Twilio holds, audit it and commit; returns what was done."""
    now = ctx.now()
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        if survey is None or survey.delivery_status != DeliveryStatus.unknown:
            return "moved_meanwhile"  # a status callback got there first
        if found is not None:
            done = _take_provider_status(survey, found, now)
        else:
            done = _not_found(survey, now)
        if done in ("waiting", "no_attempt_time"):
            return done
        _audit(session, survey, found)
        session.commit()
        return done


def _take_provider_status(survey: Survey, found: ProviderMessage, now: datetime) -> str:
    target = TWILIO_STATUS.get(found.status.lower(), DeliveryStatus.sent)
    if target is DeliveryStatus.failed:
        survey.delivery_status = DeliveryStatus.failed
        survey.provider_message_id = found.sid
        # As a status callback would have classified it (status_callbacks.apply_status).
        category = CATEGORIES.get(found.error_code or 0, ErrorCategory.undelivered)
        note_reason(
            survey,
            category,
            f"Twilio reported {found.status} (error {found.error_code or 'none'}) when asked",
            found.error_code,
        )
        survey.reminder_due_at = None
        return "failed"
    survey.sent_at = survey.sent_at or found.created_at or survey.attempted_at
    mark_sent(survey, found.sid, now)
    if target is DeliveryStatus.delivered:
        survey.delivery_status = DeliveryStatus.delivered
        survey.delivered_at = found.updated_at or now
        return "delivered"
    return "sent"


def _not_found(survey: Survey, now: datetime) -> str:
    if survey.attempted_at is None:
        return "no_attempt_time"  # cannot tell when Twilio's silence would prove anything
    if now < survey.attempted_at + SILENCE_PROVES_NOTHING_SENT:
        return "waiting"
    if survey.reconcile_retried_at is not None:
        survey.delivery_status = DeliveryStatus.failed
        note_reason(survey, ErrorCategory.not_at_provider, f"{NOT_FOUND}, after its one retry")
        survey.reminder_due_at = None
        return "failed_after_retry"
    survey.delivery_status = DeliveryStatus.scheduled
    survey.send_at = now
    survey.reconcile_retried_at = now
    survey.lease_until = None
    survey.reminder_due_at = None
    note_reason(survey, ErrorCategory.not_at_provider, f"{NOT_FOUND}: sent again, once")
    return "retried"


def _audit(session: Session, survey: Survey, found: ProviderMessage | None) -> None:
    audit(
        session,
        who="system:reconcile",
        action="survey.reconciled",
        subject=survey.case_ref,
        survey_id=survey.id,
        moved_from=DeliveryStatus.unknown.value,
        moved_to=str(survey.delivery_status),
        provider_status=found.status if found is not None else None,
        provider_message_id=found.sid if found is not None else None,
    )
