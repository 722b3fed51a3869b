"""Erasure follows the person one hop and no further; a dry run changes nothing; the ledger
repeats every erasure after a restore."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.context import Context
from survey.identifiers import identifier_hash, identifier_hashes
from survey.models import (
    AuditLog,
    CommentHandling,
    Contact,
    ErasureRecord,
    OptOut,
    Response,
    Survey,
    SurveyIdentifier,
)
from survey.optouts import opted_out_hashes
from survey.privacy.erasure import erase_customer
from survey.privacy.query import CustomerQuery
from survey.reporting.comment_rows import mark_handled
from tests.factories import bearer, make_actor, make_contact, make_organisation_key, make_survey

PHONE = "+46701234567"
EMAIL = "anna@example.se"
HOUSEHOLD = "+46707654321"  # a stranger who shares the e-mail address on one contact


@pytest.fixture
def privacy(ctx: Context) -> dict[str, str]:
    return bearer(make_organisation_key(ctx, "dpo-office", "privacy"))


def _people(ctx: Context) -> dict[str, int]:
    """Anna's phone with her e-mail on one contact; her e-mail alone on another; the e-mail
    with a stranger's phone on a third; the stranger alone on a fourth (with a sent, answered
    survey each for Anna's e-mail-only contact and the stranger's own)."""
    with ctx.session() as session:
        actor = make_actor(session)
        both = make_contact(session, actor, customer_phone=PHONE, customer_email=EMAIL)
        mail_only = make_survey(
            ctx,
            session,
            actor=actor,
            contact={"customer_phone": None, "customer_email": EMAIL, "customer_ref": "K-9"},
            delivery_status="sent",
            last_error=f"550 mailbox full for <{EMAIL}>",
        )
        shared = make_contact(session, actor, customer_phone=HOUSEHOLD, customer_email=EMAIL)
        stranger = make_survey(ctx, session, actor=actor, contact={"customer_phone": HOUSEHOLD})
        for survey in (mail_only, stranger):
            session.add(
                Response(
                    survey_id=survey.id,
                    questionnaire="default",
                    questionnaire_version=1,
                    overall=2,
                    comment="call me",
                    answers={"overall": 2},
                )
            )
        session.commit()
        return {
            "both": _id(both),
            "mail_only": _id(mail_only),
            "shared": _id(shared),
            "stranger": _id(stranger),
            "mail_only_contact": mail_only.contact_id or 0,
            "stranger_contact": stranger.contact_id or 0,
        }


def _id(row: Any) -> int:
    assert row.id is not None
    return int(row.id)


def _contact(ctx: Context, contact_id: int) -> tuple[Any, ...]:
    with ctx.session() as session:
        row = session.get(Contact, contact_id)
        assert row is not None
        return row.customer_phone, row.customer_email, row.customer_ref, row.purged_at is not None


def test_erasure_by_phone_covers_the_email_seen_with_it_and_no_stranger(ctx: Context) -> None:
    ids = _people(ctx)
    with ctx.session() as session:
        result = erase_customer(
            session,
            CustomerQuery.parse(PHONE, None, None),
            identifier_key=ctx.settings.identifier_key,
            now=ctx.now(),
            who="test",
        )
    assert result.identifiers == [
        {"kind": "phone", "value": PHONE},
        {"kind": "email", "value": EMAIL},
    ]
    assert (result.contacts, result.surveys, result.comments) == (3, 1, 1)
    assert _contact(ctx, ids["both"]) == (None, None, None, True)
    # The ref seen only with the e-mail is two hops from the phone: it stays, and so the
    # contact is not purged, but the e-mail on it is gone.
    assert _contact(ctx, ids["mail_only_contact"]) == (None, None, "K-9", False)
    # The stranger's phone on the shared contact, and the stranger's own contact, stay.
    assert _contact(ctx, ids["shared"]) == (HOUSEHOLD, None, None, False)
    assert _contact(ctx, ids["stranger_contact"])[0] == HOUSEHOLD
    key = ctx.settings.identifier_key
    with ctx.session() as session:
        erased = session.get(Survey, ids["mail_only"])
        assert erased is not None and erased.to_address is None and erased.last_error is None
        comments = dict(session.execute(select(Response.survey_id, Response.comment)).all())
        assert comments == {ids["mail_only"]: None, ids["stranger"]: "call me"}
        scores = session.scalars(select(Response.overall)).all()
        assert sorted(scores) == [2, 2]  # the scores stay, anonymous
        anna = identifier_hashes(key, PHONE, EMAIL, None)
        stranger = identifier_hashes(key, HOUSEHOLD, None, None)
        assert opted_out_hashes(session, anna) == set(anna)
        assert opted_out_hashes(session, stranger) == set()
        assert set(session.scalars(select(ErasureRecord.identifier_hash))) == set(anna)
        left = set(session.scalars(select(SurveyIdentifier.identifier_hash)))
        assert not left & set(anna) and set(stranger) <= left
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "customer.erase")).one()
    text = json.dumps({"subject": entry.subject, **entry.details})
    assert PHONE not in text and EMAIL not in text and entry.subject == "email+phone"


def test_a_dry_run_lists_what_would_go_and_changes_nothing(client, privacy, ctx) -> None:
    ids = _people(ctx)
    with ctx.session() as session:
        before_audit = session.scalar(select(func.count()).select_from(AuditLog))
    response = client.post(
        "/api/v1/customers/erase", json={"email": EMAIL, "dry_run": True}, headers=privacy
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["dry_run"] is True
    # From the e-mail, one hop reaches Anna's phone, her ref and the stranger's phone (given
    # with the e-mail on one contact): the dry run shows it, so that the person asking can
    # choose the phone number instead.
    assert {i["value"] for i in body["identifiers"]} == {EMAIL, PHONE, "K-9", HOUSEHOLD}
    assert (body["contacts"], body["surveys"], body["comments"]) == (4, 2, 2)
    assert _contact(ctx, ids["both"]) == (PHONE, EMAIL, None, False)
    with ctx.session() as session:
        # The dry run shows identifiers: it is audited, by kinds only, and changes nothing else.
        assert session.scalar(select(func.count()).select_from(AuditLog)) == before_audit + 1
        entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()  # type: ignore[union-attr]
        assert entry is not None and entry.action == "customer.erase_dry_run"
        assert EMAIL not in json.dumps(entry.details) and EMAIL not in (entry.subject or "")
        assert session.scalar(select(func.count()).select_from(OptOut)) == 0
        assert session.scalar(select(func.count()).select_from(ErasureRecord)) == 0
    refused = client.post(
        "/api/v1/customers/erase", json={"email": EMAIL, "dry_run": "yes"}, headers=privacy
    )
    assert refused.status_code == 422 and "dry_run" in refused.get_json()["detail"]


def test_cli_dry_run_and_the_erasure_name_the_identifiers(ctx: Context, runner) -> None:
    _people(ctx)
    dry = runner("customers", "erase", "--phone", PHONE, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would erase email: {EMAIL}" in dry.output and "nothing was erased" in dry.output
    done = runner("customers", "erase", "--phone", PHONE)
    assert done.exit_code == 0, done.output
    assert f"erased phone: {PHONE}" in done.output and "erased: 3 contacts" in done.output


def test_erasures_are_repeated_after_a_restore(ctx: Context, runner, tmp_path) -> None:
    """A backup taken before the erasure brings the person back; the ledger, exported apart
    from the backups, erases them again."""
    _people(ctx)
    assert runner("customers", "erase", "--phone", PHONE, "--yes").exit_code == 0
    exported = runner("customers", "erasure-ledger")
    lines = exported.output.splitlines()
    assert len(lines) == 2 and PHONE not in exported.output and EMAIL not in exported.output
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text(exported.output, encoding="utf-8")
    with ctx.session() as session:  # the restore: the old backup has Anna, and no ledger
        session.execute(ErasureRecord.__table__.delete())  # type: ignore[attr-defined]
        session.execute(OptOut.__table__.delete())  # type: ignore[attr-defined]
        restored = make_survey(
            ctx, session, contact={"customer_phone": PHONE, "customer_email": EMAIL}
        )
        session.commit()
    result = runner("customers", "reapply-erasures", "--ledger", str(ledger))
    assert result.exit_code == 0, result.output
    assert "reapplied 2 erased identifiers: 1 contacts, 1 surveys" in result.output
    key = ctx.settings.identifier_key
    with ctx.session() as session:
        contact = session.get(Contact, restored.contact_id)
        assert contact is not None and (contact.customer_phone, contact.customer_email) == (
            None,
            None,
        )
        survey = session.get(Survey, restored.id)
        assert survey is not None and survey.delivery_status == "cancelled"
        assert opted_out_hashes(session, [identifier_hash(key, "phone", PHONE)])
        assert session.scalar(select(func.count()).select_from(ErasureRecord)) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"identifier_hash": "x"}\n', encoding="utf-8")
    refused = runner("customers", "reapply-erasures", "--ledger", str(bad))
    assert refused.exit_code == 2 and "ledger line 1" in refused.output


def test_erasure_takes_the_do_not_survey_reason_with_it(ctx: Context) -> None:
    """The reason may say why the person is protected: it leaves the contact and the audit."""
    from survey.accounts.audit_log import audit

    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            contact={"customer_phone": PHONE, "do_not_survey_reason": "skyddad identitet"},
        )
        audit(
            session,
            who="actor:north",
            action="survey.cancelled",
            subject=survey.case_ref,
            cause="do_not_survey",
            reason="skyddad identitet",
        )
        session.commit()
        erase_customer(
            session,
            CustomerQuery.parse(PHONE, None, None),
            identifier_key=ctx.settings.identifier_key,
            now=ctx.now(),
            who="test",
        )
    with ctx.session() as session:
        assert session.scalars(select(Contact.do_not_survey_reason)).all() == [None]
        entries = session.scalars(
            select(AuditLog).where(AuditLog.action == "survey.cancelled")
        ).all()
    (entry,) = [e for e in entries if e.details["cause"] == "do_not_survey"]
    assert "reason" not in entry.details


def test_erasure_takes_the_notes_on_the_handling_of_the_persons_comments(ctx: Context) -> None:
    ids = _people(ctx)
    with ctx.session() as session:
        for name in ("mail_only", "stranger"):
            answer = session.scalars(select(Response.id).where(Response.survey_id == ids[name]))
            mark_handled(
                session,
                response_id=answer.one(),
                note="Called Anna back",
                who="admin:a",
                now=ctx.now(),
            )
        erase_customer(
            session,
            CustomerQuery.parse(PHONE, None, None),
            identifier_key=ctx.settings.identifier_key,
            now=ctx.now(),
            who="test",
        )
    with ctx.session() as session:
        notes = dict(session.execute(select(CommentHandling.survey_id, CommentHandling.note)).all())
    assert notes == {ids["mail_only"]: None, ids["stranger"]: "Called Anna back"}
