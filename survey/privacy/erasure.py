"""Erasure on request (GDPR article 17): the person, one hop, and nothing further.

The request names one identifier; the erasure covers it and the identifiers seen with it on one
contact (a phone number and the e-mail address given with it), never further. A dry run lists
what would go. What stays, and why: the opt-out log (keyed hashes only: it keeps the person from
being surveyed again), the answers' scores without contact details or free text (anonymous
statistics, so that reports do not change), and the erasure ledger (keyed hashes, so that
`survey customers reapply-erasures` can repeat every erasure after a database restore).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.followups.forgetting import erase_follow_ups
from survey.models import (
    CancelCause,
    CommentHandling,
    Contact,
    ErasureRecord,
    ErrorCategory,
    OptOutSource,
    OutboxMessage,
    Response,
    Survey,
    SurveyIdentifier,
)
from survey.optouts import record_opt_out, standing_opt_outs
from survey.privacy.pseudonyms import redact_case_entries
from survey.privacy.query import (
    IDENTIFIER_COLUMNS,
    CustomerQuery,
    Identifier,
    contact_ids,
    one_hop,
    survey_ids,
)


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure covered (or, in a dry run, would cover)."""

    identifiers: list[dict[str, str]]
    contacts: int
    surveys: int
    comments: int
    cancelled: int
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ErasureTargets:
    """The rows an erasure changes, found from the keyed hashes of the identifiers it covers."""

    identifiers: list[Identifier]  # in clear, for the contacts that carry them
    hashes: dict[str, str]  # keyed hash -> kind, of every identifier covered
    contact_ids: list[int]
    survey_ids: list[int]
    cancelled: list[tuple[int, str]] = field(default_factory=list)


def erase_customer(
    session: Session,
    query: CustomerQuery,
    *,
    identifier_key: str,
    now: datetime,
    who: str,
    dry_run: bool = False,
) -> ErasureResult:
    """Erase the person's personal data; scheduled surveys are cancelled. Commits, unless a dry
    run, which changes nothing and says what would go."""
    identifiers = one_hop(session, query)
    hashes = {item.hash(identifier_key): str(item.kind) for item in identifiers}
    targets = ErasureTargets(
        identifiers,
        hashes,
        contact_ids(session, identifiers),
        survey_ids(session, identifiers, list(hashes)),
    )
    listed = [{"kind": str(item.kind), "value": item.value} for item in identifiers]
    if dry_run:
        # It shows the identifiers seen with the one asked for: a disclosure, so audited.
        audit(
            session,
            who=who,
            action="customer.erase_dry_run",
            subject=_kinds(identifiers),
            identifiers=len(identifiers),
        )
        session.commit()
        return ErasureResult(
            listed,
            contacts=len(targets.contact_ids),
            surveys=len(targets.survey_ids),
            comments=_comment_count(session, targets.survey_ids),
            cancelled=_scheduled_count(session, targets.survey_ids),
            dry_run=True,
        )
    comments = apply_erasure(session, targets, now=now)
    audit(
        session,
        who=who,
        action="customer.erase",
        # The kinds only: the audit log never holds the identifier in clear.
        subject=_kinds(identifiers),
        identifiers=len(identifiers),
        contacts=len(targets.contact_ids),
        surveys=len(targets.survey_ids),
        comments=comments,
    )
    audit_cancellations(session, targets.cancelled, who=who)
    session.commit()
    return ErasureResult(
        listed,
        contacts=len(targets.contact_ids),
        surveys=len(targets.survey_ids),
        comments=comments,
        cancelled=len(targets.cancelled),
    )


def apply_erasure(session: Session, targets: ErasureTargets, *, now: datetime) -> int:
    """Forget the identifiers on the contacts, the surveys' addresses, texts and identifier
    hashes, the answers' comments, and the follow-ups' notes and consent; keep the person opted
    out and in the ledger. The comments erased."""
    _forget_identifiers(session, targets, now=now)
    targets.cancelled = _forget_surveys(session, targets.survey_ids, list(targets.hashes))
    comments = _erase_comments(session, targets.survey_ids)
    erase_follow_ups(session, targets.survey_ids, now=now)
    standing = standing_opt_outs(session, targets.hashes)
    still_open = {h: k for h, k in targets.hashes.items() if h not in standing}
    record_opt_out(session, hashes=still_open, source=OptOutSource.erasure, now=now)
    _remember(session, targets.hashes, now=now)
    return comments


def _forget_identifiers(session: Session, targets: ErasureTargets, *, now: datetime) -> None:
    """Clear the covered identifiers on the contacts; another identifier on the same contact (a
    stranger's, with a shared address) stays. A contact left with none counts as purged."""
    if not targets.contact_ids:
        return
    # A do_not_survey reason may say why this person is protected: it goes with them, here
    # and in the audit entries about their cases.
    reasons = session.execute(
        update(Contact)
        .where(col(Contact.id).in_(targets.contact_ids))
        .values(do_not_survey_reason=None)
        .returning(col(Contact.case_ref))
    )
    redact_case_entries(session, sorted({row[0] for row in reasons}), key=None)
    of_contacts = col(Contact.id).in_(targets.contact_ids)
    for kind, column in IDENTIFIER_COLUMNS.items():
        values = [item.value for item in targets.identifiers if item.kind == kind]
        if values:
            session.execute(
                update(Contact).where(of_contacts, col(column).in_(values)).values({column: None})
            )
    session.execute(
        update(Contact)
        .where(
            of_contacts,
            col(Contact.purged_at).is_(None),
            *(col(column).is_(None) for column in IDENTIFIER_COLUMNS.values()),
        )
        .values(purged_at=now)
    )


def audit_cancellations(session: Session, cancelled: list[tuple[int, str]], *, who: str) -> None:
    for survey_id, case_ref in cancelled:  # a stop after the draw is a recorded fact
        audit(
            session,
            who=who,
            action="survey.cancelled",
            subject=case_ref,
            survey_id=survey_id,
            cause="erasure",
        )


def _forget_surveys(session: Session, ids: list[int], hashes: list[str]) -> list[tuple[int, str]]:
    """Cancel what was still to be sent; forget addresses, provider texts and identifier hashes.
    The cancelled surveys."""
    if not ids:
        return []
    cancelled = session.execute(
        update(Survey)
        .where(col(Survey.id).in_(ids), col(Survey.delivery_status) == "scheduled")
        .values(
            delivery_status="cancelled",
            cancel_cause=CancelCause.erasure,
            last_error="customer data erased",
            error_code=None,
            error_category=ErrorCategory.erased,
            error_phase=None,
        )
        .returning(col(Survey.id), col(Survey.case_ref))
    ).all()
    cancelled_ids = {row[0] for row in cancelled}
    # Provider texts may quote the address (their codes and categories stay); the
    # cancellation's own reason names no one.
    texts = [i for i in ids if i not in cancelled_ids]
    if texts:
        session.execute(update(Survey).where(col(Survey.id).in_(texts)).values(last_error=None))
    session.execute(update(Survey).where(col(Survey.id).in_(ids)).values(to_address=None))
    session.execute(
        delete(SurveyIdentifier).where(
            col(SurveyIdentifier.survey_id).in_(ids),
            col(SurveyIdentifier.identifier_hash).in_(hashes),
        )
    )
    session.execute(delete(OutboxMessage).where(col(OutboxMessage.survey_id).in_(ids)))
    return [(survey_id, case_ref) for survey_id, case_ref in cancelled]


def _erase_comments(session: Session, ids: list[int]) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(Response)
        .where(col(Response.survey_id).in_(ids), col(Response.comment).is_not(None))
        .values(comment=None)
    )
    # A note on the handling of the comment can quote it or name the person.
    session.execute(
        update(CommentHandling).where(col(CommentHandling.survey_id).in_(ids)).values(note=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _comment_count(session: Session, ids: list[int]) -> int:
    query = select(func.count()).where(
        col(Response.survey_id).in_(ids), col(Response.comment).is_not(None)
    )
    return int(session.scalar(query) or 0) if ids else 0


def _scheduled_count(session: Session, ids: list[int]) -> int:
    query = select(func.count()).where(
        col(Survey.id).in_(ids), col(Survey.delivery_status) == "scheduled"
    )
    return int(session.scalar(query) or 0) if ids else 0


def _remember(session: Session, hashes: dict[str, str], *, now: datetime) -> None:
    """Add the identifiers not yet in the erasure ledger."""
    known = set(
        session.scalars(
            select(col(ErasureRecord.identifier_hash)).where(
                col(ErasureRecord.identifier_hash).in_(list(hashes))
            )
        )
    )
    for digest, kind in hashes.items():
        if digest not in known:
            session.add(ErasureRecord(identifier_hash=digest, kind=kind, erased_at=now))


def _kinds(identifiers: list[Identifier]) -> str:
    """The kinds of identifier covered (the audit log never holds one in clear)."""
    return "+".join(sorted({str(item.kind) for item in identifiers}))
