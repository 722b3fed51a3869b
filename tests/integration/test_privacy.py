"""GDPR access, erasure and the retention purge; the opt-out API."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.context import Context
from survey.identifiers import identifier_hashes
from survey.models import AuditLog, Contact, OptOut, OutboxMessage, Response, Survey
from survey.optouts import opted_out_hashes
from survey.privacy.retention import purge_expired
from tests.factories import bearer, make_api_key, make_organisation_key, make_survey

PHONE = "+46701234567"


@pytest.fixture
def auth(ctx: Context) -> dict[str, str]:
    """An actor's key, with its default scopes (contacts, opt-outs)."""
    return bearer(make_api_key(ctx))


@pytest.fixture
def privacy(ctx: Context) -> dict[str, str]:
    """An organisation key with the privacy scope."""
    return bearer(make_organisation_key(ctx, "dpo-office", "privacy"))


def survey_with_answer(ctx: Context, **contact: Any) -> Survey:
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            contact={"customer_phone": PHONE, "customer_ref": "K-1", **contact},
            delivery_status="sent",
        )
        session.add(
            Response(
                survey_id=survey.id,
                questionnaire="default",
                questionnaire_version=1,
                overall=4,
                comment="Anna was kind",
                answers={"overall": 4},
            )
        )
        session.add(OutboxMessage(survey_id=survey.id, channel="sms", to_address=PHONE, body="hej"))
        session.commit()
        return survey


def test_export_lists_contacts_surveys_and_answers(client, privacy, ctx: Context) -> None:
    survey_with_answer(ctx)
    response = client.post(
        "/api/v1/customers/export", json={"phone": "070-123 45 67"}, headers=privacy
    )
    assert response.status_code == 200
    data = response.get_json()
    assert [c["customer_phone"] for c in data["contacts"]] == [PHONE]
    assert len(data["surveys"]) == 1
    assert data["responses"][0]["comment"] == "Anna was kind"
    assert "content_hash" not in data["contacts"][0]
    with ctx.session() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "customer.export")).one()
    assert entry.who == "api:organisation:dpo-office"


def test_export_refuses_identifiers_in_the_query_string(client, privacy, ctx: Context) -> None:
    """Identifiers never travel in URLs (access logs and proxies keep those): GET is gone."""
    survey_with_answer(ctx)
    by_get = client.get("/api/v1/customers/export?ref=K-1", headers=privacy)
    assert by_get.status_code == 405
    assert by_get.mimetype == "application/problem+json"
    assert "POST" in by_get.headers["Allow"] and "GET" not in by_get.headers["Allow"]
    with ctx.session() as session:
        exports = session.scalars(select(AuditLog).where(AuditLog.action == "customer.export"))
        assert exports.all() == []


def test_export_needs_exactly_one_identifier(client, privacy) -> None:
    url = "/api/v1/customers/export"
    assert client.post(url, json={}, headers=privacy).status_code == 422
    both = client.post(url, json={"phone": PHONE, "ref": "K-1"}, headers=privacy)
    assert both.status_code == 422
    bad = client.post(url, json={"phone": "12"}, headers=privacy)
    assert bad.status_code == 422 and "phone" in bad.get_json()["detail"]
    unknown = client.post(url, json={"ref": "K-1", "name": "x"}, headers=privacy)
    assert unknown.status_code == 422 and "name" in unknown.get_json()["detail"]
    assert client.post(url, data="ref=K-1", headers=privacy).status_code == 415
    assert client.get(url, headers=privacy).status_code == 405


def test_erasure_removes_personal_data_and_keeps_anonymous_answers(client, privacy, ctx) -> None:
    survey = survey_with_answer(ctx)
    response = client.post("/api/v1/customers/erase", json={"ref": "K-1"}, headers=privacy)
    assert response.status_code == 200
    assert response.get_json() == {
        "identifiers": [{"kind": "phone", "value": PHONE}, {"kind": "ref", "value": "K-1"}],
        "contacts": 1,
        "surveys": 1,
        "comments": 1,
        "cancelled": 0,
        "dry_run": False,
    }
    with ctx.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.customer_phone, contact.customer_ref) == (None, None)
        assert contact.purged_at is not None
        kept = session.get(Survey, survey.id)
        assert kept is not None and kept.to_address is None
        answer = session.scalars(select(Response)).one()
        assert answer.overall == 4 and answer.comment is None
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        actions = session.scalars(select(AuditLog.action)).all()
    assert "customer.erase" in actions
    after = client.post("/api/v1/customers/export", json={"ref": "K-1"}, headers=privacy).get_json()
    assert after["contacts"] == [] and after["surveys"] == []


def test_erasure_cancels_a_survey_not_yet_sent(ctx: Context, runner) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact={"customer_phone": PHONE})
    result = runner("customers", "erase", "--phone", PHONE, "--yes")
    assert result.exit_code == 0, result.output
    assert "erased: 1 contacts, 1 surveys" in result.output
    with ctx.session() as session:
        kept = session.get(Survey, survey.id)
        assert kept is not None and kept.delivery_status == "cancelled"
        assert (kept.error_category, kept.last_error) == ("erased", "customer data erased")
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "survey.cancelled")).one()
    assert entry.subject == survey.case_ref and entry.details["cause"] == "erasure"
    assert entry.who.startswith("cli:")


def test_erasure_removes_the_provider_text_and_keeps_its_code(ctx: Context, runner) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            contact={"customer_phone": PHONE},
            delivery_status="failed",
            last_error=f"Twilio HTTP 400 error 21211: The 'To' number {PHONE} is invalid",
            error_code=21211,
            error_category="invalid_recipient",
        )
    assert runner("customers", "erase", "--phone", PHONE, "--yes").exit_code == 0
    with ctx.session() as session:
        kept = session.get(Survey, survey.id)
        assert kept is not None and kept.delivery_status == "failed"
        assert kept.last_error is None
        assert (kept.error_code, kept.error_category) == (21211, "invalid_recipient")


def test_cli_export_prints_json(ctx: Context, runner) -> None:
    survey_with_answer(ctx, customer_email="kund@example.se")
    result = runner("customers", "export", "--email", "Kund@Example.se")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["contacts"][0]["customer_email"] == "kund@example.se"


def test_purge_removes_details_past_retention_only(ctx: Context) -> None:
    old = survey_with_answer(ctx)
    with ctx.session() as session:
        recent = make_survey(ctx, session, contact={"customer_phone": "+46707654321"})
        now = old.closed_at + timedelta(days=400)
        recent_contact_closed = now - timedelta(days=1)
        row = session.get(Survey, recent.id)
        assert row is not None
        row.closed_at = recent_contact_closed
        session.execute(
            Contact.__table__.update()  # type: ignore[attr-defined]
            .where(Contact.__table__.c.id == recent.contact_id)  # type: ignore[attr-defined]
            .values(closed_at=recent_contact_closed)
        )
        session.commit()
        result = purge_expired(session, retention_days=365, now=now)
    assert (result.contacts, result.surveys, result.comments) == (1, 1, 1)
    with ctx.session() as session:
        phones = session.scalars(select(Contact.customer_phone).order_by(Contact.id)).all()
    assert phones == [None, "+46707654321"]


def test_opt_out_api_records_every_identifier_with_the_keys_owner_as_source(
    client, auth, ctx: Context
) -> None:
    response = client.post(
        "/api/v1/opt-outs",
        headers=auth,
        json={"phone": "0701234567", "email": "Kund@Example.se", "agent": "anna"},
    )
    assert response.status_code == 201
    hashes = identifier_hashes(ctx.settings.identifier_key, PHONE, "kund@example.se", None)
    with ctx.session() as session:
        assert opted_out_hashes(session, hashes) == set(hashes)
        sources = session.scalars(select(OptOut.source)).all()
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "opt_out.api")).one()
    assert sources == ["api:in-house", "api:in-house"]
    assert entry.who == "api:in-house" and entry.details["agent"] == "anna"


def test_a_client_cannot_name_the_source_of_an_opt_out(client, auth, ctx: Context) -> None:
    """A key's owner cannot pass its opt-out off as the customer's own (link, SMS STOP)."""
    for source in ("link", "sms-stop", "api"):
        refused = client.post(
            "/api/v1/opt-outs", headers=auth, json={"phone": PHONE, "source": source}
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.get_json()["errors"]] == ["source"]
    with ctx.session() as session:
        assert session.scalars(select(OptOut)).all() == []


def test_opt_out_api_needs_an_identifier(client, auth) -> None:
    response = client.post("/api/v1/opt-outs", headers=auth, json={"agent": "anna"})
    assert response.status_code == 422
    unknown = client.post("/api/v1/opt-outs", headers=auth, json={"phone": PHONE, "x": 1})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "x"


def test_erasure_without_a_terminal_needs_no_confirmation(ctx: Context, runner) -> None:
    survey_with_answer(ctx)
    result = runner("customers", "erase", "--ref", "K-1")
    assert result.exit_code == 0, result.output
    assert "erased: 1 contacts" in result.output
