"""The `survey` command. Each feature's group lives in survey/commands/<feature>.py."""

from __future__ import annotations

import sys
from importlib import import_module

import click

from survey.config import ConfigError

# (module, attribute) of each command or group; one line per feature.
COMMANDS: list[tuple[str, str]] = [
    ("survey.commands.db", "db"),
    ("survey.commands.admin", "actors"),
    ("survey.commands.admin", "apikeys"),
    ("survey.commands.admin", "users"),
    ("survey.commands.contacts", "contacts"),
    ("survey.commands.run", "run"),
    ("survey.commands.run", "web"),
    ("survey.commands.run", "scheduler"),
    ("survey.commands.run", "jobs"),
    ("survey.commands.customers", "customers"),
    ("survey.commands.policy", "policy"),
    ("survey.commands.audit", "audit"),
    ("survey.commands.report", "report"),
    ("survey.commands.outbox", "outbox"),
]


@click.group()
def cli() -> None:
    """Customer-satisfaction survey engine (Kontakta, Bilaga 1)."""


for _module, _attribute in COMMANDS:
    cli.add_command(getattr(import_module(_module), _attribute))


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"survey: {exc}", err=True)
        sys.exit(2)
