"""Fixtures: app, client, runner, and `ctx` on SQLite and PostgreSQL (a fresh database per session).

Tests that use `ctx` (or `app`, `client`, `runner`) run once per database. PostgreSQL comes from
SURVEY_TEST_DATABASE_URL (default: the local server); under CI=true a missing server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

import survey.models  # noqa: F401
from survey import create_app
from survey.context import Context, build_context
from survey.db import metadata
from survey.migrate import upgrade
from survey.startup import open_policy

PG_ADMIN_URL = os.environ.get(
    "SURVEY_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRETS = {
    "secret_key": "test-secret-key-0123456789abcdef",
    "sampling_secret": "test-sampling-secret",
    "identifier_key": "test-identifier-key",
}

pytest_plugins: list[str] = ["tests.plugins.delivery"]


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc)


def _create_pg_database(worker: str) -> str:
    name = f"survey_test_{worker}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database, made once per test session and database kind."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'survey.db'}"
        upgrade(url)
        yield url
        return
    problem = _pg_available()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    url = _create_pg_database(worker)
    upgrade(url)
    yield url
    _drop_pg_database(url)


def _empty_all_tables(ctx: Context) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with ctx.engine.begin() as connection:
        if ctx.store.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
            # Without AUTOINCREMENT there is no sqlite_sequence: ids restart by themselves.


@pytest.fixture
def settings_overrides(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Override to change settings for a module's tests; the fixtures below all use it."""
    return {
        "env": "test",
        "database_url": database_url,
        "instance_path": str(tmp_path / "instance"),
        "base_url": "https://survey.test",
        **TEST_SECRETS,
    }


@pytest.fixture
def make_ctx(settings_overrides: dict[str, Any]) -> Iterator[Callable[..., Context]]:
    made: list[Context] = []

    def make(**extra: Any) -> Context:
        ctx = build_context({**settings_overrides, **extra})
        made.append(ctx)
        # As at a process's start: the first context records its settings' policy and sampling
        # key in the (emptied) database; a later one with other settings finds them recorded.
        open_policy(ctx, who="system", check_key=False)
        return ctx

    yield make
    if made:
        _empty_all_tables(made[0])
    for ctx in made:
        ctx.engine.dispose()


@pytest.fixture
def ctx(make_ctx: Callable[..., Context]) -> Context:
    return make_ctx()


@pytest.fixture
def app(ctx: Context, settings_overrides: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(settings_overrides)
    # Share the test's context (and its clock) with the app.
    app.extensions["survey"].engine.dispose()
    app.extensions["survey"] = ctx
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli_env(
    ctx: Context, settings_overrides: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Environment variables under which the `survey` command sees the test database."""
    from survey.config import env_name

    env = {env_name(k): str(v) for k, v in settings_overrides.items()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def runner(cli_env: dict[str, str]) -> Callable[..., Any]:
    """Invoke the `survey` command in-process: runner("actors", "create", "x")."""
    from survey.cli import cli

    def invoke(*args: str, input: str | None = None) -> Any:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke
