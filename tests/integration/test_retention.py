"""After retention nothing joins an answer to a person, and the report of a past month does
not change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from survey.accounts.audit_log import audit, verify_chain
from survey.context import Context
from survey.keyed import hmac_sha256
from survey.models import (
    AuditLog,
    Case,
    Contact,
    OptOut,
    Response,
    SamplingDecision,
    Survey,
    SurveyIdentifier,
)
from survey.privacy.pseudonyms import is_pseudonym
from survey.privacy.retention import purge_expired
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.sampling.draw import key_fingerprint
from survey.sampling.verify import verify_decisions
from tests.factories import make_actor, make_survey

OLD = datetime(2025, 3, 12, 10, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 10, tzinfo=UTC)
MARCH = ReportRequest.parse("2025-03-01", "2025-04-01", ["team", "agent"])


def _old_month(ctx: Context) -> list[int]:
    """Six answered surveys of March 2025 with phones, refs, comments and provider texts; one
    cancelled survey with its audit entry; and one recent survey."""
    ids = []
    with ctx.session() as session:
        actor = make_actor(session)
        for n in range(7):
            survey = make_survey(
                ctx,
                session,
                actor=actor,
                contact={
                    "customer_phone": f"+4670123450{n}",
                    "customer_email": f"kund{n}@example.se",
                    "customer_ref": f"KUND-{n}",
                    "case_ref": f"ÄRENDE-{n}",
                    "external_id": f"crm-{n}",
                    "closed_at": OLD + timedelta(days=n),
                    "agent": "agent-a" if n % 2 else "agent-b",
                    "do_not_survey_reason": "skyddad identitet" if n == 3 else None,
                },
                provider_message_id=f"SM{n:032d}",
                delivery_status="cancelled" if n == 6 else "sent",
                response_status="pending" if n == 6 else "answered",
                last_error=f"The 'To' number +4670123450{n} is not valid" if n == 5 else None,
            )
            ids.append(survey.id or 0)
            if n < 6:
                session.add(
                    Response(
                        survey_id=survey.id,
                        questionnaire="default",
                        questionnaire_version=1,
                        overall=1 + n % 5,
                        comment=f"ring mig på 070123450{n}",
                        answers={"overall": 1 + n % 5},
                    )
                )
        audit(
            session,
            who="api:in-house",
            action="survey.cancelled",
            subject="ÄRENDE-6",
            contact="crm-6",
            reason="skyddad identitet",
        )
        session.add(
            OptOut(
                identifier_hash="f" * 64,
                kind="phone",
                source="sms-stop",
                message_sid="SM" + "9" * 32,
                created_at=OLD,
            )
        )
        recent = make_survey(
            ctx,
            session,
            actor=actor,
            contact={"case_ref": "NY-1", "closed_at": NOW - timedelta(days=3)},
        )
        ids.append(recent.id or 0)
        session.execute(
            update(SamplingDecision).values(
                key_fingerprint=key_fingerprint(ctx.settings.sampling_secret)
            )
        )
        session.commit()
    return ids


def test_the_purge_leaves_no_key_to_a_person_and_the_report_unchanged(ctx: Context) -> None:
    ids = _old_month(ctx)
    min_size = ctx.settings.min_group_size
    with ctx.session() as session:
        before = satisfaction_report(session, MARCH, min_group_size=min_size)
        result = purge_expired(
            session,
            retention_days=365,
            now=NOW,
            identifier_key=ctx.settings.identifier_key,
            cap_window=timedelta(days=31, hours=72),
        )
    assert (result.cases, result.comments, result.identifier_hashes) == (7, 6, 7 * 3)
    with ctx.session() as session:
        after = satisfaction_report(session, MARCH, min_group_size=min_size)
        old_refs = session.scalars(select(Case.case_ref).where(Case.case_ref != "NY-1")).all()
        contacts = session.scalars(select(Contact).where(Contact.case_ref != "NY-1")).all()
        surveys = session.scalars(select(Survey).where(Survey.id.in_(ids[:7]))).all()  # type: ignore[union-attr]
        decisions = session.scalars(select(SamplingDecision.case_ref)).all()
        hashes = session.scalars(select(SurveyIdentifier.survey_id)).all()
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "survey.cancelled")).one()
        sids = session.scalars(select(OptOut.message_sid)).all()
        chain = verify_chain(session)
        verified = verify_decisions(session, ctx.settings, start=OLD - timedelta(days=1), end=NOW)
        comments = session.scalar(
            select(func.count()).where(Response.comment.is_not(None))  # type: ignore[union-attr]
        )
    assert after == before
    assert len(old_refs) == 7 and all(is_pseudonym(ref) for ref in old_refs)
    key = ctx.settings.identifier_key.encode()
    assert "pseudonym:" + hmac_sha256(key, "case:ÄRENDE-0".encode()).hex() in old_refs
    for contact in contacts:
        assert (contact.customer_phone, contact.customer_email, contact.customer_ref) == (
            None,
            None,
            None,
        )
        assert is_pseudonym(contact.case_ref) and is_pseudonym(contact.external_id)
    assert all(is_pseudonym(s.case_ref) and s.to_address is None for s in surveys)
    assert all(s.last_error is None for s in surveys)
    assert sorted(is_pseudonym(ref) for ref in decisions) == [False] + [True] * 7
    assert hashes and set(hashes) == {ids[7]}  # only the recent survey's hashes are kept
    assert comments == 0
    assert is_pseudonym(entry.subject or "") and entry.redacted_at is not None
    assert is_pseudonym(entry.details["contact"]) and "reason" not in entry.details
    assert all(c.do_not_survey_reason is None for c in contacts)
    assert all(s.provider_message_id is None for s in surveys)
    assert sids == [None]
    assert chain.broken_at is None
    assert verified.ok and verified.pseudonymised == 7


def test_a_second_purge_changes_nothing_more(ctx: Context) -> None:
    _old_month(ctx)
    key = ctx.settings.identifier_key
    with ctx.session() as session:
        purge_expired(session, retention_days=365, now=NOW, identifier_key=key)
        again = purge_expired(session, retention_days=365, now=NOW, identifier_key=key)
    assert (again.contacts, again.surveys, again.cases, again.comments) == (0, 0, 0, 0)
