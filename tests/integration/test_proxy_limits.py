"""Behind a TLS proxy (SURVEY_TRUSTED_PROXIES=1): strangers' traffic never blocks a customer's
survey or opt-out, nor the admin's login; without trusted proxies no forwarded header counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from survey.accounts import users as accounts
from survey.context import Context
from survey.models import ResponseStatus, Survey
from tests.factories import make_survey
from tests.integration.survey_pages import token_for

PROXY = "10.0.0.2"  # every request arrives from the proxy
STRANGER, CUSTOMER, ADMIN = "203.0.113.5", "198.51.100.7", "192.0.2.44"
GUESS = f"/s/{'A' * 32}"
PASSWORD = "correct horse battery staple"


def _via(address: str, forwarded_for: str | None = None) -> dict[str, Any]:
    """The request as the proxy passes it on: from the proxy, naming the client."""
    return {
        "environ_base": {"REMOTE_ADDR": PROXY},
        "headers": {"X-Forwarded-For": forwarded_for or address, "X-Forwarded-Proto": "https"},
    }


def _token(ctx: Context) -> tuple[int, str]:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    assert survey.id is not None
    return survey.id, token_for(ctx, survey)


def _login(client: FlaskClient, address: str, email: str, password: str) -> Any:
    page = client.get("/admin/login", **_via(address)).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    data = {"email": email, "password": password, "csrf_token": match.group(1)}
    return client.post("/admin/login", data=data, **_via(address))


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "trusted_proxies": 1, "ratelimit_public": "3/minute"}


def test_a_guesser_does_not_keep_a_customer_from_the_survey_or_the_opt_out(
    ctx: Context, client: FlaskClient
) -> None:
    survey_id, token = _token(ctx)
    statuses = [client.get(GUESS, **_via(STRANGER)).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    # The stranger is being limited; the customer, through the same proxy, is not.
    assert client.get(GUESS, **_via(STRANGER)).status_code == 429
    assert client.get(f"/s/{token}", **_via(CUSTOMER)).status_code == 200
    assert client.get(f"/o/{token}", **_via(CUSTOMER)).status_code == 200
    one_click = client.post(f"/o/{token}", data={"List-Unsubscribe": "One-Click"}, **_via(CUSTOMER))
    assert one_click.status_code == 200
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None and survey.response_status == ResponseStatus.opted_out
    # Another address's guesses have their own budget.
    assert client.get(GUESS, **_via(CUSTOMER)).status_code == 404


def test_a_surveys_link_has_a_budget_of_its_own_whoever_asks(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _token(ctx)
    _, other = _token(ctx)
    addresses = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]
    statuses = [client.get(f"/s/{token}", **_via(a)).status_code for a in addresses]
    assert statuses == [200, 200, 200, 429]
    assert client.post(f"/o/{token}", **_via(CUSTOMER)).status_code == 429
    assert client.get(f"/o/{other}", **_via(addresses[-1])).status_code == 200
    # Neither link used anything of the addresses' budgets for unknown links.
    assert client.get(GUESS, **_via(addresses[-1])).status_code == 404


def test_only_the_address_the_proxy_saw_counts(ctx: Context, client: FlaskClient) -> None:
    """A client that writes X-Forwarded-For itself names its own address last, where the
    proxy appends the address it saw: varying the header gets it no new budget."""
    forged = [f"10.9.9.{n}, {STRANGER}" for n in range(5)]
    statuses = [client.get(GUESS, **_via(STRANGER, header)).status_code for header in forged]
    assert statuses == [404, 404, 404, 429, 429]


def test_the_admin_logs_in_while_strangers_are_limited(ctx: Context, client: FlaskClient) -> None:
    with ctx.session() as session:
        accounts.create_user(
            session, email="boss@example.se", password=PASSWORD, role="admin", who="test"
        )
    # Wrong passwords for the admin's account: five a minute from one address...
    statuses = [_login(client, STRANGER, "boss@example.se", "guess").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # ... and ten attempts a minute from it for any account.
    statuses = [
        _login(client, STRANGER, f"user{n}@example.se", "guess").status_code for n in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    # More strangers at other addresses: each is held back, the account is never locked.
    for n in range(3):
        for _ in range(6):
            _login(client, f"203.0.113.{10 + n}", "boss@example.se", "guess")
    assert _login(client, STRANGER, "boss@example.se", PASSWORD).status_code == 429
    answer = _login(client, ADMIN, "boss@example.se", PASSWORD)
    assert answer.status_code == 302
    assert client.get("/admin/", **_via(ADMIN)).status_code == 200


def test_a_session_does_not_hang_on_the_clients_headers(ctx: Context, client: FlaskClient) -> None:
    """Flask-Login's session protection would hash X-Forwarded-For and User-Agent; a session is
    ended by the server (logout, deactivation) instead."""
    with ctx.session() as session:
        accounts.create_user(
            session, email="boss@example.se", password=PASSWORD, role="admin", who="test"
        )
    assert _login(client, ADMIN, "boss@example.se", PASSWORD).status_code == 302
    moved = _via("198.51.100.99")
    moved["headers"]["User-Agent"] = "another browser"
    assert client.get("/admin/", **moved).status_code == 200


class TestWithoutTrustedProxies:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**settings_overrides, "trusted_proxies": 0}

    def test_forwarded_headers_are_not_believed(self, ctx: Context, client: FlaskClient) -> None:
        headers = [f"198.51.100.{n}" for n in range(5)]
        statuses = [client.get(GUESS, **_via(STRANGER, h)).status_code for h in headers]
        assert statuses == [404, 404, 404, 429, 429]
