from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from survey.context import Context
from survey.db import metadata


def test_fresh_upgrade_matches_the_models(ctx: Context) -> None:
    with ctx.engine.connect() as connection:
        migration = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(migration, metadata)
    assert diff == []


def test_healthz_reports_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "at head"}
