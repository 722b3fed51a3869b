"""Hostile input to the API (issue 20): every bad body or query is a 4xx with a problem body,
and nothing of it is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.context import Context
from survey.models import AuditLog, Contact, OptOut
from tests.factories import bearer, contact_payload, make_api_key, make_organisation_key

TEXT_FIELDS = (
    ("external_id",),
    ("case_ref",),
    ("agent",),
    ("team",),
    ("case_type",),
    ("do_not_survey", "reason"),
    ("customer", "phone"),
    ("customer", "email"),
    ("customer", "language"),
    ("customer", "ref"),
)


@pytest.fixture
def actor_key(ctx: Context) -> dict[str, str]:
    return bearer(make_api_key(ctx, "in-house"))


@pytest.fixture
def privacy_key(ctx: Context) -> dict[str, str]:
    return bearer(make_organisation_key(ctx, "dpo-office", "privacy"))


def count(ctx: Context, model: Any) -> int:
    with ctx.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def raw_post(client: FlaskClient, path: str, body: str | bytes, auth: dict[str, str]) -> Any:
    headers = {**auth, "Content-Type": "application/json"}
    return client.post(path, data=body, headers=headers)


def with_value(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    item = contact_payload(do_not_survey={"reason": "protected identity"})
    target = item
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    return item


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    return body


def fields_named(body: dict[str, Any]) -> list[str]:
    return [e["field"] for item in body["errors"] for e in item["errors"]]


@pytest.mark.parametrize("path", TEXT_FIELDS, ids=".".join)
@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x85"], ids=repr)
def test_a_control_character_in_any_text_field_is_a_422_naming_it(
    client, actor_key, ctx, path: tuple[str, ...], character: str
) -> None:
    valid = contact_payload()
    item = with_value(path, f"x{character}y")
    response = client.post("/api/v1/contacts", json={"contacts": [valid, item]}, headers=actor_key)
    body = assert_problem(response, 422)
    assert body["errors"][0]["index"] == 1
    assert fields_named(body) == [".".join(path)]
    assert "control characters" in body["errors"][0]["errors"][0]["message"]
    assert count(ctx, Contact) == 0


def test_a_lone_surrogate_is_a_422_naming_the_field(client, actor_key, ctx) -> None:
    text = json.dumps({"contacts": [contact_payload(agent="AGENT")]})
    response = raw_post(client, "/api/v1/contacts", text.replace("AGENT", "a\\ud800"), actor_key)
    assert fields_named(assert_problem(response, 422)) == ["agent"]
    assert count(ctx, Contact) == 0


def test_tab_and_line_breaks_are_text(client, actor_key, ctx) -> None:
    item = contact_payload(do_not_survey={"reason": "asked\tnot to\r\nbe contacted"})
    response = client.post("/api/v1/contacts", json={"contacts": [item]}, headers=actor_key)
    assert response.status_code == 200
    assert count(ctx, Contact) == 1


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_json_nested_too_deep_is_a_400(client, actor_key, ctx, depth: int) -> None:
    inner = "[" * depth + "]" * depth
    body = '{"contacts": [' + json.dumps(contact_payload())[:-1] + ', "x": ' + inner + "}]}"
    response = raw_post(client, "/api/v1/contacts", body, actor_key)
    assert "nested deeper than 32 levels" in assert_problem(response, 400)["detail"]
    assert count(ctx, Contact) == 0


def test_json_nested_within_the_limit_reaches_validation(client, actor_key, ctx) -> None:
    body = '{"contacts": [' + "[" * 29 + "]" * 29 + "]}"
    response = raw_post(client, "/api/v1/contacts", body, actor_key)
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["contacts.0"]


@pytest.mark.parametrize(
    "body",
    [b'{"contacts": [', b'{"contacts": NaN}', b'{"contacts": "\xff\xfe\xfa"}', b"1" * 5000],
    ids=["truncated", "nan", "invalid-utf8", "huge-number"],
)
def test_a_body_that_is_not_json_is_a_400(client, actor_key, ctx, body: bytes) -> None:
    response = raw_post(client, "/api/v1/contacts", body, actor_key)
    assert "not valid JSON" in assert_problem(response, 400)["detail"]
    assert count(ctx, Contact) == 0


def test_another_media_type_is_a_415(client, actor_key) -> None:
    response = client.post(
        "/api/v1/contacts",
        data=json.dumps({"contacts": []}),
        headers={**actor_key, "Content-Type": "text/plain"},
    )
    assert_problem(response, 415)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("closed_at", "0001-01-01T00:30:00+01:00"),
        ("closed_at", "9999-12-31T23:59:59-01:00"),
        ("closed_at", "1899-12-31T23:00:00+00:00"),
        ("opened_at", "2101-01-01T00:00:00+00:00"),
    ],
)
def test_a_date_outside_1900_to_2100_is_a_422(client, actor_key, ctx, field, value) -> None:
    item = contact_payload(**{field: value})
    response = client.post("/api/v1/contacts", json={"contacts": [item]}, headers=actor_key)
    body = assert_problem(response, 422)
    assert fields_named(body) == [field]
    assert "between 1900 and 2100" in body["errors"][0]["errors"][0]["message"]
    assert count(ctx, Contact) == 0


@pytest.mark.parametrize("field", ["complaint", "external_id", "agent"])
def test_an_integer_beyond_64_bits_is_a_422(client, actor_key, ctx, field: str) -> None:
    text = json.dumps({"contacts": [contact_payload(**{field: 7})]})
    big = str(2**64 + 1)
    response = raw_post(client, "/api/v1/contacts", text.replace(": 7", f": {big}"), actor_key)
    assert fields_named(assert_problem(response, 422)) == [field]
    assert count(ctx, Contact) == 0


def test_a_control_character_in_an_opt_out_is_a_422(ctx, client) -> None:
    key = bearer(make_api_key(ctx, "in-house"))
    response = client.post("/api/v1/opt-outs", json={"ref": "K-1\x00"}, headers=key)
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["ref"]
    assert count(ctx, OptOut) == 0


@pytest.mark.parametrize("route", ["export", "erase"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": 46701234567}, "phone"),
        ({"email": ["anna@example.se"]}, "email"),
        ({"ref": {"id": "K-1"}}, "ref"),
        ({"ref": "K-1\x00"}, "ref"),
        ({"ref": "K-1", "dry_run": "no"}, "dry_run"),
        ({"phone": "not a number"}, "phone"),
        ({"ref": "K-1", "source": "x"}, "source"),
    ],
)
def test_a_customer_request_with_an_invalid_identifier_is_a_422_naming_it(
    ctx, client, privacy_key, route: str, body: dict[str, Any], field: str
) -> None:
    if route == "export" and field == "dry_run":
        field = "dry_run"  # export knows no dry_run: an unknown field
    audited = count(ctx, AuditLog)
    response = client.post(f"/api/v1/customers/{route}", json=body, headers=privacy_key)
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    assert count(ctx, AuditLog) == audited  # nothing was exported or erased


@pytest.mark.parametrize("body", ["[]", '"anna@example.se"', "null"])
def test_a_customer_request_that_is_not_an_object_is_a_422(ctx, client, privacy_key, body) -> None:
    response = raw_post(client, "/api/v1/customers/erase", body, privacy_key)
    assert_problem(response, 422)


@pytest.mark.parametrize("group_by", ["", ",", "week,", " "])
def test_an_empty_group_by_is_a_400(ctx, client, group_by: str) -> None:
    key = bearer(make_organisation_key(ctx, "analysts", "reports"))
    url = f"/api/v1/reports/satisfaction?from=2026-10-01&to=2026-11-01&group_by={group_by}"
    body = assert_problem(client.get(url, headers=key), 400)
    assert "group_by must name a key" in body["detail"]
