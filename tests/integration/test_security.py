from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, session
from flask.sessions import NullSession
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.context import Context
from survey.models import Response, Survey
from survey.tokens import form_token
from survey.web.ratelimit import ADMIN_LOGIN_LIMIT
from survey.web.security import HEADERS
from tests.factories import make_survey
from tests.integration.survey_pages import csrf_from, token_for


def _token(ctx: Context) -> str:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    return token_for(ctx, survey)


def _login(client: FlaskClient, address: str = "127.0.0.1", email: str | None = None) -> Any:
    """A wrong password, posted with the login form's CSRF token (the GET is not counted); each
    for another account unless `email` is given, so that only the address's budget counts."""
    import uuid

    environ = {"REMOTE_ADDR": address}
    page = client.get("/admin/login", environ_base=environ).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    email = email or f"nobody-{uuid.uuid4().hex[:8]}@example.se"
    data = {"email": email, "password": "wrong", "csrf_token": match.group(1)}
    return client.post("/admin/login", data=data, environ_base=environ)


def _random_address() -> str:
    import uuid

    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def test_every_answer_carries_the_security_headers(ctx: Context, client: FlaskClient) -> None:
    token = _token(ctx)
    for path in (f"/s/{token}", f"/o/{token}", "/s/unknown", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp and "http" not in csp
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert all(len(headers.getlist(name)) == 1 for name in HEADERS)  # each once, no more
    assert client.get(f"/s/{token}").headers["Cache-Control"] == "no-store"


def test_the_page_loads_nothing_from_elsewhere_and_has_no_inline_script_or_style(
    ctx: Context, client: FlaskClient
) -> None:
    html = client.get(f"/s/{_token(ctx)}").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert "<script" not in html and "<style" not in html and " style=" not in html
    with client.get("/static/survey.css") as stylesheet:
        assert stylesheet.status_code == 200
        assert "@import" not in stylesheet.get_data(as_text=True)


def test_the_survey_form_needs_its_csrf_token(ctx: Context, client: FlaskClient) -> None:
    token = _token(ctx)
    client.get(f"/s/{token}")
    refused = client.post(f"/s/{token}", data={"overall": "5", "comment": "kept"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Sidan hade varit öppen för länge" in html
    assert 'id="overall-5" name="overall" value="5" checked' in html
    assert ">kept</textarea>" in html
    with ctx.session() as session:
        assert session.scalars(select(Response)).all() == []
    declined = client.post(f"/s/{token}", data={"action": "decline"})
    assert declined.status_code == 400
    with ctx.session() as session:
        statuses = {s.response_status for s in session.scalars(select(Survey)).all()}
    assert statuses == {"opened"}


def test_the_respondent_pages_set_no_cookie_and_answer_without_one(
    ctx: Context, app: Flask
) -> None:
    token = _token(ctx)
    browser = app.test_client(use_cookies=False)  # cookies turned off
    for path in (f"/s/{token}", f"/o/{token}", f"/s/{token}?lang=en"):
        assert "Set-Cookie" not in browser.get(path).headers, path
    csrf = csrf_from(browser.get(f"/s/{token}").get_data(as_text=True))
    answer = browser.post(f"/s/{token}", data={"overall": "5", "csrf_token": csrf})
    assert answer.status_code == 303
    assert "Set-Cookie" not in answer.headers
    with ctx.session() as session:
        assert [r.answers["overall"] for r in session.scalars(select(Response))] == [5]


def test_only_the_staff_pages_have_a_session(app: Flask) -> None:
    for path, null in (("/s/abc", True), ("/o/abc", True), ("/admin/login", False)):
        with app.test_request_context(path):
            assert isinstance(session._get_current_object(), NullSession) is null, path
    names = [getattr(f, "__qualname__", "") for f in app.after_request_funcs.get(None, [])]
    assert "_headers.<locals>.add" in names  # the security headers stay


def test_a_form_token_works_only_with_its_own_link(ctx: Context, client: FlaskClient) -> None:
    mine, other = _token(ctx), _token(ctx)
    others_csrf = csrf_from(client.get(f"/s/{other}").get_data(as_text=True))
    assert others_csrf == form_token(ctx.settings.secret_key, other)
    refused = client.post(f"/s/{mine}", data={"overall": "5", "csrf_token": others_csrf})
    assert refused.status_code == 400
    undo = client.post(f"/o/{mine}/undo", data={"csrf_token": others_csrf})
    assert undo.status_code == 400
    with ctx.session() as session:
        assert session.scalars(select(Response)).all() == []
    mine_csrf = form_token(ctx.settings.secret_key, mine)
    assert client.post(f"/o/{mine}/undo", data={"csrf_token": mine_csrf}).status_code == 200


def test_a_form_posted_to_an_unknown_link_is_a_plain_404(client: FlaskClient) -> None:
    for path in (f"/s/{'A' * 32}", f"/o/{'A' * 32}/undo", "/s/short"):
        answer = client.post(path, data={"overall": "5"})
        assert answer.status_code == 404, path
        assert "Set-Cookie" not in answer.headers


def test_the_api_is_not_under_csrf(client: FlaskClient) -> None:
    answer = client.post("/api/v1/contacts", json={"contacts": []})
    assert answer.status_code == 401  # refused for the missing key, not for a CSRF token


class TestRateLimits:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**settings_overrides, "ratelimit_public": "3/minute"}

    def test_token_guessing_is_slowed_down(self, ctx: Context, client: FlaskClient) -> None:
        statuses = [client.get(f"/s/{'A' * 32}").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        page = client.get(f"/o/{'A' * 32}")
        assert page.status_code == 429
        assert "För många försök" in page.get_data(as_text=True)
        assert 1 <= int(page.headers["Retry-After"]) <= 61  # within the minute window

    def test_a_page_does_not_tell_a_guesser_its_budget(
        self, ctx: Context, client: FlaskClient
    ) -> None:
        token = _token(ctx)
        pages = [client.get(f"/s/{token}") for _ in range(4)]
        pages += [client.get("/admin/login"), _login(client)]
        assert [page.status_code for page in pages] == [200, 200, 200, 429, 200, 401]
        for page in pages:
            assert not [name for name, _ in page.headers.items() if name.startswith("X-RateLimit")]

    def test_a_refused_form_token_counts_against_the_budget(
        self, ctx: Context, client: FlaskClient
    ) -> None:
        token = _token(ctx)
        statuses = [client.post(f"/s/{token}", data={"overall": "5"}).status_code for _ in range(4)]
        assert statuses == [400, 400, 400, 429]

    def test_other_routes_are_not_limited(self, ctx: Context, client: FlaskClient) -> None:
        assert {client.get("/healthz").status_code for _ in range(5)} == {200}


class TestSeparateBudgets:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        # The login's own limits: only the scope keeps the two counts apart.
        return {**settings_overrides, "ratelimit_public": ADMIN_LOGIN_LIMIT}

    def test_the_admin_login_has_a_budget_of_its_own(
        self, ctx: Context, client: FlaskClient
    ) -> None:
        """Login attempts do not use up the public pages' budget, nor the pages the login's."""
        assert [_login(client).status_code for _ in range(10)] == [401] * 10
        statuses = [client.get(f"/o/{'A' * 32}").status_code for _ in range(11)]
        assert statuses == [404] * 10 + [429]
        refused = _login(client)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 61
        assert client.get("/admin/login").status_code == 200


class TestRaisedRateLimits:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**settings_overrides, "ratelimit_public": "1000/minute"}

    def test_a_raised_limit_lets_a_load_through(self, ctx: Context, client: FlaskClient) -> None:
        token = _token(ctx)
        assert {client.get(f"/s/{token}").status_code for _ in range(40)} == {200}


def _redis_url() -> str:
    import os

    import redis

    url = os.environ.get("SURVEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    return url


class TestSharedRateLimitStorage:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {
            **settings_overrides,
            "ratelimit_storage_url": _redis_url(),
            "ratelimit_public": "3/minute",
        }

    @pytest.fixture
    def workers(
        self, ctx: Context, settings_overrides: dict[str, Any]
    ) -> tuple[FlaskClient, FlaskClient]:
        """Two app processes (gunicorn workers), each with its own rate limiter."""
        from survey import create_app

        apps = [create_app(settings_overrides) for _ in range(2)]
        for app in apps:
            # On the test's context, as the app fixture does: no database connection is left open.
            app.extensions["survey"].engine.dispose()
            app.extensions["survey"] = ctx
        return apps[0].test_client(), apps[1].test_client()

    def test_workers_count_one_address_together(
        self, workers: tuple[FlaskClient, FlaskClient]
    ) -> None:
        """The workers share the count through Redis."""
        path, environ = f"/s/{'A' * 32}", {"REMOTE_ADDR": _random_address()}
        statuses = [
            client.get(path, environ_base=environ).status_code for client in [*workers, *workers]
        ]
        assert statuses == [404, 404, 404, 429]

    def test_workers_count_login_attempts_together(
        self, workers: tuple[FlaskClient, FlaskClient]
    ) -> None:
        address = _random_address()
        statuses = [_login(client, address).status_code for client in [*workers] * 6]
        assert statuses == [401] * 10 + [429] * 2


class TestRateLimitStorageOutage:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        # Nothing listens on port 1: every call to the storage fails at once.
        return {
            **settings_overrides,
            "ratelimit_storage_url": "redis://127.0.0.1:1/0",
            "ratelimit_public": "3/minute",
        }

    def test_an_outage_neither_locks_out_nor_lifts_the_limit(
        self, ctx: Context, client: FlaskClient
    ) -> None:
        """The count goes on in memory: a survey still opens, and guessing is still refused."""
        token = _token(ctx)
        assert client.get(f"/s/{token}").status_code == 200
        statuses = [client.get(f"/o/{'A' * 32}").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        assert client.get(f"/o/{token}").status_code == 200  # its own link's budget
        assert 1 <= int(client.get(f"/s/{'A' * 32}").headers["Retry-After"]) <= 61

    def test_the_admin_login_is_limited_during_an_outage(
        self, ctx: Context, client: FlaskClient
    ) -> None:
        assert [_login(client).status_code for _ in range(10)] == [401] * 10
        refused = _login(client)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 61
