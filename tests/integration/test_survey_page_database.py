"""The PostgreSQL pool behind the survey pages: no ping per request, but a connection that lay
idle is checked before use, and one the server dropped meanwhile is replaced unnoticed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from survey.context import Context
from survey.store import postgresql

# SQLite opens a connection per use (NullPool): nothing there can go stale.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def engine(ctx: Context) -> Iterator[Engine]:
    engine = postgresql.make_engine(ctx.settings.database_url)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _count_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_in_steady_use_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(engine, monkeypatch)
    pids = {_backend_pid(engine) for _ in range(5)}
    assert len(pids) == 1 and pings == []


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    ctx: Context, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(engine, monkeypatch)
    dropped = _backend_pid(engine)
    with ctx.engine.begin() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    monkeypatch.setattr(postgresql, "PING_AFTER_IDLE_SECONDS", 0.0)  # as after a quiet spell
    assert _backend_pid(engine) != dropped
    assert pings == [1]
