"""Timestamps come back as UTC, whatever zone they were written in and whatever the server's."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from survey.context import Context
from survey.models import Case


def test_a_timestamp_reads_back_in_utc(ctx: Context) -> None:
    written = datetime(2026, 3, 10, 11, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    with ctx.session() as session:
        session.add(
            Case(case_ref="TZ-1", last_closed_at=written, last_closed_local_date=written.date())
        )
        session.commit()
    with ctx.session() as session:
        read = session.scalar(select(Case.last_closed_at).where(Case.case_ref == "TZ-1"))
    assert read == written
    assert read is not None and read.tzinfo is UTC
    assert (read.hour, read.minute) == (10, 30)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_sessions_run_in_utc(ctx: Context) -> None:
    with ctx.engine.connect() as connection:
        assert connection.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
        value = connection.execute(text("SELECT now()")).scalar_one()
    assert value.tzinfo is UTC  # psycopg's own UTC: UTCDateTime passes it through
