"""The `survey` command. Each feature's group lives in survey/commands/<feature>.py."""

from __future__ import annotations

import sys

import click

from survey.commands import (
    admin,
    apikeys,
    audit,
    contacts,
    customers,
    db,
    outbox,
    policy,
    report,
    run,
)
from survey.config import ConfigError


@click.group()
def cli() -> None:
    """Customer-satisfaction survey engine (Kontakta, Bilaga 1)."""


# One line per feature.
cli.add_command(db.db)
cli.add_command(admin.actors)
cli.add_command(apikeys.apikeys)
cli.add_command(admin.users)
cli.add_command(contacts.contacts)
cli.add_command(run.run)
cli.add_command(run.web)
cli.add_command(run.scheduler)
cli.add_command(run.jobs)
cli.add_command(customers.customers)
cli.add_command(policy.policy)
cli.add_command(audit.audit)
cli.add_command(report.report)
cli.add_command(outbox.outbox)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"survey: {exc}", err=True)
        sys.exit(2)
