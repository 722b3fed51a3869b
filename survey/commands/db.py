from __future__ import annotations

import click

from survey.commands import Context, with_context
from survey.migrate import upgrade


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply the migrations to SURVEY_DATABASE_URL."""
    upgrade(ctx.settings.database_url, revision)
    click.echo(f"database at revision {revision}")
