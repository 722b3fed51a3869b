"""POST /api/v1/contacts: the ingestion contract of SPEC section 4."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from survey.context import Context
from survey.intake.ingest import content_hash
from survey.models import Case, Contact
from tests.factories import contact_payload, make_api_key


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "api_max_batch": 50, "api_max_body_bytes": 200_000}


@pytest.fixture
def auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_api_key(ctx)}"}


def post(client, auth, contacts: list[dict[str, Any]]):
    return client.post("/api/v1/contacts", json={"contacts": contacts}, headers=auth)


def count(ctx: Context, model: Any) -> int:
    with ctx.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_stores_contacts_and_their_cases(client, auth, ctx: Context) -> None:
    first = contact_payload(
        case_ref="C-1", closed_at="2026-11-20T10:00:00+01:00", opened_at="2026-11-20T09:50:00+01:00"
    )
    second = contact_payload(case_ref=" C-1 ", closed_at="2026-11-20T12:00:00+01:00")
    response = post(client, auth, [first, second])
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 2, "duplicates": 0}
    with ctx.session() as session:
        case = session.get(Case, "C-1")
        assert case is not None
        assert case.contact_count == 2
        assert case.last_closed_at == datetime(2026, 11, 20, 11, tzinfo=UTC)
        assert case.first_opened_at == datetime(2026, 11, 20, 8, 50, tzinfo=UTC)


def test_a_later_batch_on_the_same_case_moves_its_last_closure(client, auth, ctx) -> None:
    post(client, auth, [contact_payload(case_ref="C-2", closed_at="2026-11-20T10:00:00Z")])
    post(client, auth, [contact_payload(case_ref="C-2", closed_at="2026-11-21T10:00:00Z")])
    with ctx.session() as session:
        case = session.get(Case, "C-2")
        assert case is not None and case.contact_count == 2
        assert case.last_closed_at == datetime(2026, 11, 21, 10, tzinfo=UTC)


def test_phone_email_and_language_are_normalised(client, auth, ctx: Context) -> None:
    item = contact_payload(
        customer={
            "phone": "070-123 45 67",
            "email": "Kund@Example.SE",
            "language": "en-GB",
            "ref": " K1 ",
        }
    )
    other = contact_payload(customer={"phone": "+46 70 765 43 21", "language": "fi"})
    assert post(client, auth, [item, other]).status_code == 200
    with ctx.session() as session:
        rows = session.execute(
            select(
                col(Contact.customer_phone),
                col(Contact.customer_email),
                col(Contact.customer_language),
                col(Contact.customer_ref),
            ).order_by(col(Contact.id))
        ).all()
    assert rows == [
        ("+46701234567", "kund@example.se", "en", "K1"),
        ("+46707654321", None, "sv", None),
    ]


def test_a_resent_identical_contact_is_a_duplicate(client, auth, ctx: Context) -> None:
    item = contact_payload()
    assert post(client, auth, [item]).get_json() == {"accepted": 1, "duplicates": 0}
    assert post(client, auth, [item, item]).get_json() == {"accepted": 0, "duplicates": 2}
    assert count(ctx, Contact) == 1
    with ctx.session() as session:
        case = session.get(Case, item["case_ref"])
        assert case is not None and case.contact_count == 1


def test_same_instant_in_another_zone_is_still_a_duplicate(client, auth) -> None:
    item = contact_payload(closed_at="2026-11-20T10:00:00+01:00")
    post(client, auth, [item])
    again = {**item, "closed_at": "2026-11-20T09:00:00Z"}
    assert post(client, auth, [again]).get_json() == {"accepted": 0, "duplicates": 1}


def test_same_external_id_with_other_content_is_a_conflict(client, auth, ctx) -> None:
    item = contact_payload()
    post(client, auth, [item])
    fresh = contact_payload()
    changed = {**item, "team": "team-b"}
    response = post(client, auth, [fresh, changed])
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"] == [
        {
            "index": 1,
            "errors": [
                {
                    "field": "external_id",
                    "message": "a contact with this external_id exists already with other content",
                }
            ],
        }
    ]
    assert count(ctx, Contact) == 1  # the valid item was not stored either


def test_conflict_inside_one_batch(client, auth) -> None:
    item = contact_payload()
    response = post(client, auth, [item, {**item, "agent": "someone-else"}])
    assert response.status_code == 422
    assert [e["index"] for e in response.get_json()["errors"]] == [1]


def test_external_ids_are_per_actor(client, auth, ctx: Context) -> None:
    other = {"Authorization": f"Bearer {make_api_key(ctx, 'outsourced')}"}
    item = contact_payload()
    post(client, auth, [item])
    assert post(client, other, [{**item, "team": "x"}]).get_json() == {
        "accepted": 1,
        "duplicates": 0,
    }


BAD_ITEMS = [
    ({"channel": "fax"}, "channel"),
    ({"closed_at": "2026-11-20T10:00:00"}, "closed_at"),
    ({"closed_at": "not a time"}, "closed_at"),
    ({"opened_at": "2026-11-20T11:00:00Z", "closed_at": "2026-11-20T10:00:00Z"}, "opened_at"),
    ({"customer": {"phone": "12"}}, "customer.phone"),
    ({"customer": {"email": "not-an-address"}}, "customer.email"),
    ({"customer": {"language": "sv_SE!"}}, "customer.language"),
    ({"customer": {"phone": "+46701234567", "send_survey": True}}, "customer.send_survey"),
    ({"send_survey": True}, "send_survey"),
    ({"case_ref": "   "}, "case_ref"),
    ({"external_id": "x" * 201}, "external_id"),
    ({"agent": "a" * 101}, "agent"),
    ({"do_not_survey": {}}, "do_not_survey.reason"),
    ({"do_not_survey": True}, "do_not_survey"),
    ({"complaint": "maybe"}, "complaint"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ITEMS)
def test_invalid_item_is_reported_with_index_and_field(client, auth, ctx, change, field) -> None:
    response = post(client, auth, [contact_payload(), contact_payload(**change)])
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert [e["index"] for e in errors] == [1]
    assert field in [e["field"] for e in errors[0]["errors"]]
    assert count(ctx, Contact) == 0


def test_every_invalid_item_is_reported(client, auth) -> None:
    items = [contact_payload(channel="fax"), contact_payload(), contact_payload(channel="x")]
    body = post(client, auth, items).get_json()
    assert [e["index"] for e in body["errors"]] == [0, 2]


def test_closed_at_in_the_future_is_refused_beyond_clock_skew(client, auth) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert post(client, auth, [contact_payload(closed_at=soon)]).status_code == 200
    response = post(client, auth, [contact_payload(closed_at=later)])
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["errors"][0]["field"] == "closed_at"


def test_do_not_survey_is_stored_with_its_reason(client, auth, ctx: Context) -> None:
    post(client, auth, [contact_payload(do_not_survey={"reason": "protected identity"})])
    with ctx.session() as session:
        contact = session.scalars(select(Contact)).one()
    assert contact.do_not_survey and contact.do_not_survey_reason == "protected identity"


def test_the_answer_never_reveals_a_draw(client, auth) -> None:
    body = post(client, auth, [contact_payload()]).get_json()
    assert set(body) == {"accepted", "duplicates"}


def test_missing_or_wrong_key_is_401(client) -> None:
    assert client.post("/api/v1/contacts", json={"contacts": []}).status_code == 401
    wrong = {"Authorization": "Bearer sk_nope"}
    response = client.post("/api/v1/contacts", json={"contacts": []}, headers=wrong)
    assert response.status_code == 401
    assert response.get_json()["title"] == "Unauthorized"


def test_malformed_json_is_400_with_a_json_body(client, auth) -> None:
    response = client.post(
        "/api/v1/contacts", data="{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


def test_body_must_be_a_batch(client, auth) -> None:
    response = client.post("/api/v1/contacts", json={"contacts": [], "trigger": 1}, headers=auth)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "trigger"
    assert client.post("/api/v1/contacts", json=[1], headers=auth).status_code == 422


def test_too_many_contacts_is_413(client, auth, ctx: Context) -> None:
    response = post(client, auth, [contact_payload() for _ in range(51)])
    assert response.status_code == 413
    assert count(ctx, Contact) == 0


def test_too_large_a_body_is_413(client, auth) -> None:
    big = [contact_payload(case_type="x" * 100, agent="y" * 100) for _ in range(49)]
    padding = {"contacts": big, "pad": "z" * 200_000}
    response = client.post("/api/v1/contacts", json=padding, headers=auth)
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


def test_openapi_document_describes_the_contact(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    contact = document["components"]["schemas"]["Contact"]
    assert contact["additionalProperties"] is False
    assert {"external_id", "case_ref", "channel", "closed_at"} <= set(contact["required"])
    assert "post" in document["paths"]["/api/v1/contacts"]


def test_a_case_ref_may_not_look_like_a_retention_pseudonym(client, auth) -> None:
    response = post(client, auth, [contact_payload(case_ref="pseudonym:abc")])
    assert response.status_code == 422
    assert "pseudonym:" in str(response.get_json())


def test_the_stored_content_digest_is_keyed_so_erasure_leaves_nothing_to_guess_against(
    client, auth, ctx: Context
) -> None:
    item = contact_payload(customer={"phone": "+46703000200"})
    assert post(client, auth, [item]).status_code == 200
    with ctx.session() as session:
        contact = session.scalars(select(Contact)).one()
    row = {
        k: getattr(contact, k)
        for k in (
            "external_id", "case_ref", "channel", "opened_at", "closed_at", "agent", "team",
            "case_type", "complaint", "do_not_survey", "do_not_survey_reason", "customer_phone",
            "customer_email", "customer_language", "customer_ref",
        )
    }  # fmt: skip
    canonical = json.dumps(row, sort_keys=True, default=lambda v: v.isoformat())
    assert contact.content_hash == content_hash(row, ctx.settings.identifier_key)
    assert contact.content_hash != content_hash(row, "another key")
    assert contact.content_hash != hashlib.sha256(canonical.encode()).hexdigest()
    assert "+46703000200" not in contact.content_hash


def test_an_internationalised_e_mail_address_is_accepted(client, auth, ctx: Context) -> None:
    item = contact_payload(customer={"email": "Användare@Exempel.se"})
    assert post(client, auth, [item]).get_json() == {"accepted": 1, "duplicates": 0}
    assert post(client, auth, [item]).get_json() == {"accepted": 0, "duplicates": 1}
    with ctx.session() as session:
        assert session.scalars(select(col(Contact.customer_email))).one() == "användare@exempel.se"


def test_openapi_document_says_internationalised_addresses_need_smtputf8(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    customer = schemas["Contact"]["properties"]["customer"]
    if "$ref" in customer:
        customer = schemas[customer["$ref"].rsplit("/", 1)[1]]
    email = customer["properties"]["email"]
    assert "SMTPUTF8" in email["description"] and "användare@exempel.se" in email["examples"]


def test_invisible_format_characters_do_not_split_a_case(client, auth, ctx: Context) -> None:
    """A zero-width space, a BOM or a bidirectional mark in a case reference is the same case
    (normalisation version 2, in force for references received from 2026-11-30)."""
    refs = ["ÄR-1", "ÄR-1\u200b", "\ufeffÄR-1", "Ä\u200eR-1 "]
    response = post(client, auth, [contact_payload(case_ref=ref) for ref in refs])
    assert response.status_code == 200
    with ctx.session() as session:
        assert session.scalars(select(Case.case_ref)).all() == ["ÄR-1"]
        assert session.scalars(select(Case.contact_count)).one() == 4
