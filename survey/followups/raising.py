"""The follow-up job: raise a follow-up for each consented answer that meets a rule, and send
its notice to the address set for the survey's actor and team.

Nothing here changes a survey or a sample: it reads answers and writes follow-ups only. One
process at a time runs it (the store's singleton); the unique follow-up per survey keeps a
second raise out all the same. A notice is marked sent after it went: a crash in between sends
it again at the next pass (staff mail: twice is better than never).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.accounts.audit_log import audit
from survey.channels.staff_mail import StaffMail, render_staff_text, send_staff_mail
from survey.config import Settings
from survey.context import Context
from survey.followups.recipients import recipient_for
from survey.followups.rules import due_at, follow_up_rules
from survey.models import Actor, FollowUp, FollowUpRecipient, Response, ResponseStatus, Survey
from survey.sampling.draw import STOCKHOLM

log = logging.getLogger(__name__)
# An answer older than this raises nothing (a follow-up weeks late helps no one), which also
# bounds what each pass reads.
RAISE_WITHIN = timedelta(days=14)
BATCH = 500


def run_follow_ups(ctx: Context) -> dict[str, Any]:
    """One pass: raise, then notify. By one process at a time (the others skip)."""
    with ctx.store.singleton("followups", now=ctx.now(), lease=timedelta(minutes=10)) as mine:
        if not mine:
            return {"skipped": "another process is running the follow-ups"}
        with ctx.session() as session:
            raised = raise_follow_ups(session, ctx.settings, now=ctx.now())
            notified = notify_follow_ups(session, ctx.settings, now=ctx.now())
    return {"raised": raised, "notified": notified}


def raise_follow_ups(session: Session, settings: Settings, *, now: datetime) -> int:
    """A follow-up for each recent consented answer that meets a rule and has none; commits
    each, a batch at a time until none is left."""
    rules = follow_up_rules(settings.followup_rules)
    if not rules:
        return 0
    raised = 0
    while True:
        rows = session.execute(_to_raise(rules, now)).mappings().all()
        raised += sum(_raise_one(session, settings, rules, row, now=now) for row in rows)
        if len(rows) < BATCH:
            return raised


def _to_raise(rules: dict[str, Any], now: datetime) -> Any:
    # The answer's own time (set with it): the consented answers of the last RAISE_WITHIN are a
    # range of the partial index ix_response_consented, however many answers came before.
    answered = col(Response.submitted_at)
    return (
        select(  # type: ignore[call-overload]
            col(Response.survey_id),
            answered.label("answered_at"),
            *(condition.label(name) for name, condition in rules.items()),
        )
        .join(Survey, col(Survey.id) == col(Response.survey_id))
        .outerjoin(FollowUp, col(FollowUp.survey_id) == col(Response.survey_id))
        .where(
            # As the partial index says it (an IS TRUE would not match it on PostgreSQL).
            col(Response.contact_consent),
            answered >= now - RAISE_WITHIN,
            col(Survey.response_status) == ResponseStatus.answered,
            col(FollowUp.id).is_(None),
            or_(*rules.values()),
        )
        .order_by(col(Response.survey_id))
        .limit(BATCH)
    )


def _raise_one(
    session: Session, settings: Settings, rules: dict[str, Any], row: Any, *, now: datetime
) -> bool:
    reasons = [name for name in rules if row[name]]
    follow_up = FollowUp(
        survey_id=row["survey_id"],
        created_at=now,
        due_at=due_at(_aware(row["answered_at"]), settings.followup_due_working_days),
        reasons=" ".join(reasons),
    )
    session.add(follow_up)
    try:
        session.flush()
    except IntegrityError:  # raised by another process meanwhile
        session.rollback()
        return False
    audit(
        session,
        who="system",
        action="followup.create",
        subject=f"follow-up {follow_up.id}",
        survey_id=row["survey_id"],
        reasons=reasons,
    )
    session.commit()
    return True


def notify_follow_ups(session: Session, settings: Settings, *, now: datetime) -> int:
    """Send the notice of each recent follow-up not yet notified whose actor (or team) has an
    address; one without waits until an admin sets one. Commits each; a failed send ends the
    pass (the next one tries again)."""
    notified = 0
    while True:
        rows = session.exec(_to_notify(now)).all()
        for follow_up, actor_id, team, actor_name in rows:
            address = recipient_for(session, actor_id=actor_id, team=team)
            assert address is not None  # _to_notify reads only follow-ups that have one
            if not _notify_one(session, settings, follow_up, actor_name, team, address, now):
                return notified
            notified += 1
        if len(rows) < BATCH:
            return notified


def _to_notify(now: datetime) -> Any:
    has_address = (
        select(col(FollowUpRecipient.id))
        .where(
            col(FollowUpRecipient.actor_id) == col(Survey.actor_id),
            col(FollowUpRecipient.team).in_([func.coalesce(col(Survey.team), ""), ""]),
        )
        .exists()
    )
    return (
        select(FollowUp, Survey.actor_id, Survey.team, Actor.name)
        .join(Survey, col(Survey.id) == col(FollowUp.survey_id))
        .join(Actor, col(Actor.id) == col(Survey.actor_id))
        .where(
            col(FollowUp.notified_at).is_(None),
            col(FollowUp.purged_at).is_(None),
            col(FollowUp.created_at) >= now - RAISE_WITHIN,
            has_address,
        )
        .order_by(col(FollowUp.id))
        .limit(BATCH)
    )


def _notify_one(
    session: Session,
    settings: Settings,
    follow_up: FollowUp,
    actor: str,
    team: str | None,
    address: str,
    now: datetime,
) -> bool:
    mail = notice(settings, follow_up, actor=actor, team=team, to=address)
    try:
        send_staff_mail(session, settings, mail, now=now)
    except (OSError, smtplib.SMTPException):
        session.rollback()
        log.exception("could not send the notice of follow-up %s", follow_up.id)
        return False
    follow_up.notified_at, follow_up.notified_to = now, address
    session.add(follow_up)
    audit(
        session,
        who="system",
        action="followup.notify",
        subject=f"follow-up {follow_up.id}",
        to=address,
    )
    session.commit()
    return True


def notice(
    settings: Settings, follow_up: FollowUp, *, actor: str, team: str | None, to: str
) -> StaffMail:
    """The notice: that a customer asked to be contacted, by when, and the link. No score, no
    comment, no contact details: those are behind the login, where each view is audited."""
    values = {
        "actor": actor,
        "team": team,
        "due": _aware(follow_up.due_at).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
        "link": f"{settings.base_url}/admin/followups/{follow_up.id}",
    }
    return StaffMail(
        to=to,
        subject=render_staff_text(settings, "followup_subject", **values).strip(),
        body=render_staff_text(settings, "followup", **values),
        kind="followup",
        survey_id=follow_up.survey_id,
    )


def _aware(moment: datetime) -> datetime:
    """A time read through a raw column expression (SQLite gives it naive, in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
