"""`survey db upgrade`: the migrations, then the initial policy and sampling key, recorded once."""

from __future__ import annotations

import click

from survey.commands import Context, cli_who, warn, with_settings
from survey.migrate import upgrade
from survey.sampling.keys import SecretNotInForce, check_secret
from survey.sampling.recorded import policy_drift, record_initial_policy


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_settings
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply the migrations to SURVEY_DATABASE_URL; the first time, record the environment's
    sampling policy and the sampling secret's fingerprint as the initial ones (audited)."""
    upgrade(ctx.settings.database_url, revision)
    click.echo(f"database at revision {revision}")
    if revision != "head":
        return
    with ctx.session() as session:
        if record_initial_policy(session, ctx.settings, who=cli_who(), now=ctx.now()):
            click.echo("initial sampling policy and sampling key recorded from the environment")
        for drift in policy_drift(session, ctx.settings):
            warn(drift.message())
        try:
            check_secret(session, ctx.settings)
        except SecretNotInForce as exc:
            warn(str(exc))
