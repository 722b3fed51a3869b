"""Forgetting for real (issue 16): ingest a customer with phone, e-mail and ref, run the whole
flow, erase, purge, then read every column of every table: none of the identifiers is left, in
clear or as an unkeyed SHA-256 or MD5, and their keyed hashes only in the opt-out log and the
erasure ledger (which keep the objection and repeat the erasure after a restore)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlmodel import SQLModel

from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.identifiers import identifier_hash
from survey.models import OutboxMessage, Survey
from survey.privacy.retention import purge_expired
from survey.sampling.job import run_sampling
from tests.factories import bearer, make_api_key, make_organisation_key
from tests.integration.survey_pages import fetch_csrf, token_for

PHONE, EMAIL, REF = "+46703000200", "anna.svensson@example.se", "KUND-4711"
CASE, EXTERNAL = "ÄRENDE-991", "crm-contact-77"
COMMENT = "Bertil var snäll"
KEEPERS = {"opt_out", "erasure_record"}  # where keyed hashes may stay, by design


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {
        **settings_overrides,
        "sampling_rate": "1",
        "send_delay_minutes": 0,
        "quiet_hours": "",
        "min_group_size": 1,
    }


def _digests(value: str) -> set[str]:
    data = value.encode()
    return {hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()}


def _every_value(ctx: Context) -> dict[str, list[str]]:
    """Every non-null cell of every table, as text, by table."""
    found: dict[str, list[str]] = {}
    with ctx.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = session.execute(text(f"SELECT * FROM {table.name}")).all()
            found[table.name] = [str(v) for row in rows for v in row if v is not None]
    return found


def test_after_erasure_and_purge_nothing_leads_back_to_the_customer(
    client: FlaskClient, ctx: Context
) -> None:
    actor = bearer(make_api_key(ctx, "north"))
    organisation = bearer(make_organisation_key(ctx, "dpo-office", "privacy", "reports"))
    closed = datetime.now(UTC) - timedelta(minutes=5)
    contact = {
        "external_id": EXTERNAL,
        "case_ref": CASE,
        "channel": "phone",
        "closed_at": closed.isoformat(),
        "agent": "bertil",
        "team": "team-a",
        "customer": {"phone": "070-300 02 00", "email": EMAIL, "ref": REF, "language": "sv"},
    }
    ingest = client.post("/api/v1/contacts", json={"contacts": [contact]}, headers=actor)
    assert ingest.get_json() == {"accepted": 1, "duplicates": 0}
    run_sampling(ctx)
    dispatch_due_surveys(ctx)
    with ctx.session() as session:
        survey = session.scalars(select(Survey)).one()
        assert session.scalars(select(OutboxMessage)).all()  # the message went out
    path = f"/s/{token_for(ctx, survey)}"
    form = {"overall": "2", "comment": f"{COMMENT}, ring {PHONE}", "csrf_token": ""}
    form["csrf_token"] = fetch_csrf(client, path)
    assert client.post(path, data=form).status_code == 303
    exported = client.post("/api/v1/customers/export", json={"ref": REF}, headers=organisation)
    assert exported.status_code == 200 and exported.get_json()["contacts"]
    erased = client.post("/api/v1/customers/erase", json={"phone": PHONE}, headers=organisation)
    assert {i["value"] for i in erased.get_json()["identifiers"]} == {PHONE, EMAIL, REF}
    with ctx.session() as session:
        purge_expired(
            session,
            retention_days=365,
            now=datetime.now(UTC) + timedelta(days=400),
            identifier_key=ctx.settings.identifier_key,
            cap_window=timedelta(days=31),
        )

    key = ctx.settings.identifier_key
    clear = (PHONE, PHONE[3:], EMAIL, REF, CASE, EXTERNAL, COMMENT)
    unkeyed = set().union(*(_digests(v) for v in (PHONE, EMAIL, REF, CASE, EXTERNAL)))
    keyed = {
        identifier_hash(key, "phone", PHONE),
        identifier_hash(key, "email", EMAIL),
        identifier_hash(key, "ref", REF),
    }
    cells = _every_value(ctx)
    assert any(cells.values()), "the tables were read"
    for table, values in cells.items():
        for value in values:
            for secret in clear:
                assert secret not in value, (table, secret)
            for digest in unkeyed:
                assert digest not in value, (table, "unkeyed digest")
            if table not in KEEPERS:
                for digest in keyed:
                    assert digest not in value, (table, "keyed hash")
    # The objection and the ledger keep the keyed hashes, and nothing else of the person.
    assert keyed <= set(cells["opt_out"]) and keyed <= set(cells["erasure_record"])
    # The answer's score stays, anonymous: the report still counts it.
    today = datetime.now(UTC).date()
    period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=2)}"
    report = client.get(f"/api/v1/reports/satisfaction?{period}", headers=organisation)
    assert report.get_json()["total"]["responses"] == 1
