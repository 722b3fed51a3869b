"""The retention purge: what leads back to a person goes once no rule needs it.

After SURVEY_RETENTION_DAYS: contact details, message copies (with their attachments), comments,
follow-up notes and provider texts go,
and case references and external ids become keyed pseudonyms (privacy.pseudonyms). The keyed
identifier hashes of surveys go once the frequency cap can no longer need them (its window plus
the maximum contact age and a day). What stays: answers with period and attribution, each
decision with its inclusion probability (its rate), and the opt-out log (keyed hashes: an
objection outlives the purge by design).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.context import Context
from survey.followups.forgetting import expire_follow_ups
from survey.models import (
    CommentHandling,
    Contact,
    OptOut,
    OutboxMessage,
    Response,
    SmsReply,
    Survey,
    SurveyIdentifier,
)
from survey.privacy.pseudonyms import pseudonymise_cases
from survey.privacy.query import CUSTOMER_FIELDS
from survey.sampling.policy import Policy, effective_policy


@dataclass(frozen=True)
class PurgeResult:
    contacts: int
    surveys: int
    messages: int
    comments: int
    cases: int = 0
    identifier_hashes: int = 0
    follow_ups: int = 0


def purge_expired(
    session: Session,
    *,
    retention_days: int,
    now: datetime,
    identifier_key: str = "",
    cap_window: timedelta | None = None,
) -> PurgeResult:
    """Remove contact details, message copies, comments and provider texts older than the
    retention period; with the identifier key, pseudonymise the old cases' references; with
    the cap window, drop the surveys' identifier hashes older than it. Commits."""
    cutoff = now - timedelta(days=retention_days)
    contacts = session.execute(
        update(Contact)
        .where(
            col(Contact.closed_at) < cutoff,
            col(Contact.purged_at).is_(None),
            or_(*(col(getattr(Contact, f)).is_not(None) for f in CUSTOMER_FIELDS)),
        )
        .values(customer_phone=None, customer_email=None, customer_ref=None, purged_at=now)
    ).rowcount  # type: ignore[attr-defined]
    old_surveys = select(col(Survey.id)).where(col(Survey.closed_at) < cutoff)
    surveys = session.execute(
        update(Survey)
        .where(
            col(Survey.closed_at) < cutoff,
            or_(
                col(Survey.to_address).is_not(None),
                col(Survey.last_error).is_not(None),
                # Twilio's SID leads to the number in the provider's own logs.
                col(Survey.provider_message_id).is_not(None),
            ),
        )
        .values(to_address=None, last_error=None, provider_message_id=None)
    ).rowcount  # type: ignore[attr-defined]
    _forget_texts_and_sids(session, cutoff)
    messages = session.execute(
        delete(OutboxMessage).where(col(OutboxMessage.created_at) < cutoff)
    ).rowcount  # type: ignore[attr-defined]
    comments = session.execute(
        update(Response)
        .where(col(Response.survey_id).in_(old_surveys), col(Response.comment).is_not(None))
        .values(comment=None)
    ).rowcount  # type: ignore[attr-defined]
    follow_ups = expire_follow_ups(session, cutoff=cutoff, now=now)
    session.execute(
        update(CommentHandling)
        .where(
            col(CommentHandling.survey_id).in_(old_surveys), col(CommentHandling.note).is_not(None)
        )
        .values(note=None)
    )
    hashes = 0
    if cap_window is not None:
        hashes = session.execute(
            delete(SurveyIdentifier).where(col(SurveyIdentifier.closed_at) < now - cap_window)
        ).rowcount  # type: ignore[attr-defined]
    cases = 0
    if identifier_key:
        cases = pseudonymise_cases(session, key=identifier_key, cutoff=cutoff, now=now)
    result = PurgeResult(contacts, surveys, messages, comments, cases, hashes, follow_ups)
    if any(asdict(result).values()):
        audit(session, who="system", action="retention.purge", **asdict(result))
    session.commit()
    return result


def _forget_texts_and_sids(session: Session, cutoff: datetime) -> None:
    """A do_not_survey reason is free text (it may say why a person is protected); an inbound
    SMS's MessageSid only guards against applying it twice, and leads to the number in the
    provider's logs. Both go with the contact details."""
    session.execute(
        update(Contact)
        .where(col(Contact.closed_at) < cutoff, col(Contact.do_not_survey_reason).is_not(None))
        .values(do_not_survey_reason=None)
    )
    session.execute(
        update(OptOut)
        .where(col(OptOut.created_at) < cutoff, col(OptOut.message_sid).is_not(None))
        .values(message_sid=None)
    )
    session.execute(
        update(SmsReply)
        .where(col(SmsReply.created_at) < cutoff, col(SmsReply.message_sid).is_not(None))
        .values(message_sid=None)
    )


def cap_window(policy: Policy) -> timedelta:
    """How long a survey's identifier hashes can matter to the frequency cap: a contact closed
    up to the maximum contact age ago is checked against surveys of the cap's days before it."""
    return timedelta(days=policy.frequency_cap_days + 1, hours=policy.max_contact_age_hours)


def run_purge(ctx: Context) -> dict[str, Any]:
    """The daily purge, by one process at a time (the others skip): what it removed."""
    with ctx.store.singleton("purge", now=ctx.now(), lease=timedelta(minutes=10)) as mine:
        if not mine:
            return {"skipped": "another process is purging"}
        with ctx.session() as session:
            now = ctx.now()
            result = purge_expired(
                session,
                retention_days=ctx.settings.retention_days,
                now=now,
                identifier_key=ctx.settings.identifier_key,
                cap_window=cap_window(effective_policy(session, now)),
            )
    return asdict(result)
