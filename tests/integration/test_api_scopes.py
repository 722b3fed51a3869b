"""API keys with scopes (SPEC section 6): each route needs one, privacy is the organisation's,
an actor's reports key sees only its actor, and a revoked key is refused at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.context import Context
from survey.models import AuditLog, Contact, OptOut
from tests.factories import (
    bearer,
    contact_payload,
    make_actor,
    make_api_key,
    make_organisation_key,
    make_response,
    make_survey,
    utc,
)

PHONE = "+46701234567"
PERIOD = "from=2026-03-01&to=2026-04-01"
# Every scoped route, with a request that would succeed given the scope.
ROUTES: dict[str, list[tuple[str, str, Any]]] = {
    "contacts": [("POST", "/api/v1/contacts", {"contacts": [contact_payload()]})],
    "opt-outs": [("POST", "/api/v1/opt-outs", {"phone": PHONE})],
    "reports": [
        ("GET", f"/api/v1/reports/satisfaction?{PERIOD}", None),
        ("GET", f"/api/v1/reports/kpi?{PERIOD}", None),
        ("GET", f"/api/v1/reports/fairness?{PERIOD}", None),
        ("GET", f"/api/v1/reports/change?{PERIOD}", None),
        ("GET", f"/api/v1/reports/agents?{PERIOD}", None),
    ],
    "privacy": [
        ("POST", "/api/v1/customers/export", {"phone": PHONE}),
        ("POST", "/api/v1/customers/erase", {"phone": PHONE}),
    ],
}
# Routes that an actor's key may not use, whatever its scopes: the organisation's alone.
ORGANISATION_ONLY = {
    f"/api/v1/reports/fairness?{PERIOD}",
    f"/api/v1/reports/agents?{PERIOD}",
}
# The other scopes each kind of key may hold, to show that only the route's own one counts.
ACTOR_SCOPES = ("contacts", "opt-outs", "reports")
ORGANISATION_SCOPES = ("opt-outs", "reports", "privacy")


def call(client: FlaskClient, method: str, path: str, body: Any, key: str) -> Any:
    return client.open(path, method=method, json=body, headers=bearer(key))


def key_without(ctx: Context, scope: str) -> str:
    """A key that holds every scope its kind may hold, except `scope`."""
    if scope == "contacts":
        return make_organisation_key(ctx, "head-office", *ORGANISATION_SCOPES)
    return make_api_key(ctx, "north", *(s for s in ACTOR_SCOPES if s != scope))


@pytest.mark.parametrize("scope", list(ROUTES))
def test_a_key_without_the_routes_scope_gets_403_naming_it(
    ctx: Context, client: FlaskClient, scope: str
) -> None:
    key = key_without(ctx, scope)
    for method, path, body in ROUTES[scope]:
        answer = call(client, method, path, body, key)
        assert answer.status_code == 403, (method, path)
        assert answer.mimetype == "application/problem+json"
        problem = answer.get_json()
        assert problem["status"] == 403 and problem["scope"] == scope
        assert f"'{scope}'" in problem["detail"]


@pytest.mark.parametrize("scope", list(ROUTES))
def test_a_key_with_the_routes_scope_is_let_through(
    ctx: Context, client: FlaskClient, scope: str
) -> None:
    if scope == "privacy":
        key = make_organisation_key(ctx, "dpo-office", "privacy")
    else:
        key = make_api_key(ctx, "north", scope)
    for method, path, body in ROUTES[scope]:
        if path in ORGANISATION_ONLY:
            used = make_organisation_key(ctx, "head-office", scope)
        else:
            used = key
        answer = call(client, method, path, body, used)
        assert answer.status_code in (200, 201), (method, path, answer.get_json())


def test_every_api_route_but_the_openapi_document_needs_a_scope(app: Flask) -> None:
    needs = {
        rule.rule: getattr(app.view_functions[rule.endpoint], "required_scope", None)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    expected = {
        path.split("?")[0]: scope for scope, calls in ROUTES.items() for _, path, _ in calls
    }
    assert needs == {**expected, "/api/v1/openapi.json": None}


def test_an_actors_key_can_neither_export_nor_erase(ctx: Context, client: FlaskClient) -> None:
    with ctx.session() as session:
        make_survey(ctx, session, contact={"customer_phone": PHONE})
    key = make_api_key(ctx, "north", *ACTOR_SCOPES)
    for method, path, body in ROUTES["privacy"]:
        assert call(client, method, path, body, key).status_code == 403
    with ctx.session() as session:
        assert session.scalars(select(Contact.customer_phone)).all() == [PHONE]
        actions = session.scalars(select(AuditLog.action)).all()
    assert "customer.export" not in actions and "customer.erase" not in actions


def test_an_opt_out_with_an_organisation_key_names_the_organisation(
    ctx: Context, client: FlaskClient
) -> None:
    key = make_organisation_key(ctx, "switchboard", "opt-outs")
    answer = client.post("/api/v1/opt-outs", json={"phone": PHONE}, headers=bearer(key))
    assert answer.status_code == 201
    with ctx.session() as session:
        entry = session.scalars(select(OptOut)).one()
        audited = session.scalars(select(AuditLog).where(AuditLog.action == "opt_out.api")).one()
    assert entry.source == "api:organisation:switchboard" and entry.actor_id is None
    assert audited.who == "api:organisation:switchboard"


def test_a_revoked_key_is_refused_at_once(ctx: Context, client: FlaskClient, runner) -> None:
    key = make_api_key(ctx, "north")
    body = {"phone": PHONE}
    assert client.post("/api/v1/opt-outs", json=body, headers=bearer(key)).status_code == 201
    prefix = key.split("_")[1]
    result = runner("apikeys", "revoke", prefix)
    assert result.exit_code == 0, result.output
    assert f"key {prefix} of actor:north revoked" in result.output
    refused = client.post("/api/v1/opt-outs", json=body, headers=bearer(key))
    assert refused.status_code == 401 and refused.get_json()["title"] == "Unauthorized"
    with ctx.session() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "apikey.revoke")).one()
    assert entry.subject == "actor:north" and entry.details["prefix"] == prefix
    again = runner("apikeys", "revoke", f"sk_{prefix}")
    assert again.exit_code == 1 and "revoked already" in again.output
    unknown = runner("apikeys", "revoke", "00000000")
    assert unknown.exit_code == 1 and "no API key with the prefix '00000000'" in unknown.output


def _answered(ctx: Context, actor_name: str, team: str, overall: int, count: int) -> None:
    with ctx.session() as session:
        actor = make_actor(session, actor_name)
        for day in range(1, count + 1):
            survey = make_survey(
                ctx,
                session,
                actor=actor,
                contact={"closed_at": utc(2026, 3, day, 10), "team": team},
            )
            make_response(session, survey, overall=overall)


@pytest.fixture
def two_actors(ctx: Context) -> None:
    """north: 3 answers (fewer than the minimum group of 5); south: 6 answers."""
    _answered(ctx, "north", "team-a", 5, 3)
    _answered(ctx, "south", "team-b", 2, 6)


def _report(client: FlaskClient, key: str, kind: str, group_by: str) -> Any:
    url = f"/api/v1/reports/{kind}?{PERIOD}&group_by={group_by}"
    answer = client.get(url, headers=bearer(key))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


@pytest.mark.usefixtures("two_actors")
def test_an_actors_reports_key_sees_only_its_own_actor(ctx: Context, client: FlaskClient) -> None:
    south = make_api_key(ctx, "south", "reports")
    report = _report(client, south, "satisfaction", "team")
    assert [g["key"] for g in report["groups"]] == [{"team": "team-b"}]
    assert report["total"]["responses"] == 6 and report["total"]["overall"]["mean"] == 2.0
    by_actor = _report(client, south, "satisfaction", "actor")
    assert [g["key"] for g in by_actor["groups"]] == [{"actor": "south"}]
    kpi = _report(client, south, "kpi", "team")
    assert [g["key"] for g in kpi["groups"]] == [{"team": "team-b"}]
    assert kpi["total"]["contacts"] == 6


@pytest.mark.usefixtures("two_actors")
def test_an_actors_report_keeps_the_minimum_group_size(ctx: Context, client: FlaskClient) -> None:
    north = make_api_key(ctx, "north", "reports")
    report = _report(client, north, "satisfaction", "team")
    # Three answers, below the minimum: no score, and not even how many answered (that would
    # tell the measured which of their customers answered).
    assert report["groups"] == [{"key": {"team": "team-a"}, "suppressed": True}]
    assert report["total"] == {"suppressed": True}


@pytest.mark.usefixtures("two_actors")
def test_an_actor_sees_its_answers_but_nothing_of_what_was_drawn_or_sent(
    ctx: Context, client: FlaskClient
) -> None:
    """How many of an agent's cases were sent a survey would tell who was drawn: an actor's
    key sees no stage before `answered`; the organisation's sees them all."""
    south = _report(client, make_api_key(ctx, "south", "reports"), "satisfaction", "agent")
    for figures in [*south["groups"], south["total"]]:
        assert not {"sent", "response_rate", "declined", "opted_out"} & set(figures)
        assert figures["responses"] == 6
    head_office = make_organisation_key(ctx, "head-office", "reports")
    everything = _report(client, head_office, "satisfaction", "actor")
    assert everything["total"]["sent"] == 9 and everything["total"]["response_rate"] == 1.0


def test_an_actor_sees_a_period_only_once_it_has_settled(ctx: Context, client: FlaskClient) -> None:
    """This week's figures, grouped by agent, would show whose contacts were just surveyed."""
    today = ctx.now().date()
    monday = today - timedelta(days=today.weekday())  # agent scores only for whole weeks
    url = (
        f"/api/v1/reports/satisfaction?from={monday}&to={monday + timedelta(days=7)}&group_by=agent"
    )
    refused = client.get(url, headers=bearer(make_api_key(ctx, "south", "reports")))
    assert refused.status_code == 403
    assert "settled" in refused.get_json()["detail"]
    kpi = url.replace("satisfaction", "kpi")
    assert client.get(kpi, headers=bearer(make_api_key(ctx, "south", "reports"))).status_code == 403
    head_office = make_organisation_key(ctx, "head-office", "reports")
    assert client.get(url, headers=bearer(head_office)).status_code == 200


@pytest.mark.usefixtures("two_actors")
def test_an_organisation_reports_key_sees_every_actor(ctx: Context, client: FlaskClient) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    report = _report(client, key, "satisfaction", "actor")
    assert [g["key"]["actor"] for g in report["groups"]] == ["north", "south"]
    assert report["total"]["responses"] == 9
    kpi = _report(client, key, "kpi", "actor")
    assert kpi["total"]["contacts"] == 9
