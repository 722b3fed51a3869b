"""Alembic environment: the schema is SQLModel.metadata; batch mode for SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import survey.models  # noqa: F401  (registers the tables)
from survey.db import metadata
from survey.store import open_store

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters tables by copying them (batch mode); PostgreSQL in place.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    store = open_store(config.get_main_option("sqlalchemy.url") or "")
    with store.engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    store.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `survey db upgrade`")
run_migrations_online()
