"""At most SURVEY_REPORT_CONCURRENCY reports at once per process; beyond it 503, at once."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from survey.context import Context
from survey.web.report_slots import _semaphore
from tests.factories import bearer, make_organisation_key

QUERY = "from=2026-03-01&to=2026-04-01"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "report_concurrency": 1}


def test_a_report_beyond_the_cap_gets_503_with_retry_after(
    client: FlaskClient, ctx: Context
) -> None:
    key = bearer(make_organisation_key(ctx, "quality", "reports"))
    slots = _semaphore(1)
    assert slots.acquire(blocking=False)  # another report is being computed
    try:
        busy = client.get(f"/api/v1/reports/satisfaction?{QUERY}", headers=key)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        assert busy.get_json()["status"] == 503
        assert client.get(f"/api/v1/reports/kpi?{QUERY}", headers=key).status_code == 503
        # The survey pages and the contacts API are never capped.
        assert client.get("/healthz").status_code == 200
    finally:
        slots.release()
    assert client.get(f"/api/v1/reports/satisfaction?{QUERY}", headers=key).status_code == 200


def test_a_report_statement_past_the_time_limit_is_cancelled_on_postgresql(ctx: Context) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with ctx.session() as session:
        ctx.store.limit_statement_time(session, 0.05)
        if ctx.store.name == "postgresql":
            with pytest.raises(DBAPIError) as raised:
                session.execute(text("SELECT pg_sleep(2)"))
            assert ctx.store.is_statement_timeout(raised.value)
            session.rollback()
            # The limit was the transaction's own: the next one runs unlimited.
            session.execute(text("SELECT pg_sleep(0.1)"))
        else:  # SQLite: no limit to set, and nothing is a timeout
            session.execute(text("SELECT 1"))
            assert not ctx.store.is_statement_timeout(RuntimeError("x"))


def test_a_report_being_read_holds_back_no_writer(ctx: Context) -> None:
    """A survey answer is written while a report's transaction is open, without waiting."""
    from sqlalchemy import func, select

    from survey.models import Actor

    with ctx.session() as report:
        report.scalar(select(func.count()).select_from(Actor))  # e.g. the API key's lookup
        ctx.store.read_only(report)
        assert report.scalar(select(func.count()).select_from(Actor)) == 0
        with ctx.engine.connect() as writer:
            if ctx.store.name == "sqlite":
                # Fail at once rather than wait the busy timeout of 30 s.
                writer.connection.driver_connection.execute("PRAGMA busy_timeout=200")
            with writer.begin():
                writer.execute(Actor.__table__.insert().values(name="written"))  # type: ignore[attr-defined]
        report.scalar(select(func.count()).select_from(Actor))  # the report reads on
    with ctx.session() as later:
        assert later.scalar(select(func.count()).select_from(Actor)) == 1


def test_a_report_over_the_api_leaves_the_database_free_for_writers(
    client: FlaskClient, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey.reporting import kpi

    key = bearer(make_organisation_key(ctx, "quality", "reports"))
    seen: list[bool] = []
    real = kpi.contact_counts

    def counts_then_write(session: Any, request: Any) -> Any:
        found = real(session, request)
        with ctx.engine.connect() as writer:
            if ctx.store.name == "sqlite":
                writer.connection.driver_connection.execute("PRAGMA busy_timeout=200")
            with writer.begin():
                writer.exec_driver_sql("UPDATE actor SET name = name")
        seen.append(True)
        return found

    monkeypatch.setattr(kpi, "contact_counts", counts_then_write)
    assert client.get(f"/api/v1/reports/kpi?{QUERY}", headers=key).status_code == 200
    assert seen
