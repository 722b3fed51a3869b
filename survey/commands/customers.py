"""GDPR access and erasure for one customer identifier."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

import click

from survey.commands import Context, with_context
from survey.commands.admin import cli_who
from survey.errors import ServiceError
from survey.privacy import ledger
from survey.privacy.access import export_customer
from survey.privacy.erasure import ErasureResult, erase_customer
from survey.privacy.ledger import ledger_lines, parse_ledger
from survey.privacy.query import CustomerQuery


def _identifier_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for name in ("ref", "email", "phone"):
        func = click.option(f"--{name}", default=None)(func)
    return func


def _query(phone: str | None, email: str | None, ref: str | None) -> CustomerQuery:
    try:
        return CustomerQuery.parse(phone, email, ref)
    except ServiceError as exc:
        raise click.UsageError(str(exc)) from None


@click.group()
def customers() -> None:
    """GDPR: access export and erasure per customer."""


@customers.command("export")
@_identifier_options
@with_context
def export(ctx: Context, phone: str | None, email: str | None, ref: str | None) -> None:
    """Print, as JSON, everything kept about the customer."""
    query = _query(phone, email, ref)
    with ctx.session() as session:
        data = export_customer(
            session, query, identifier_key=ctx.settings.identifier_key, who=cli_who()
        )
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@customers.command("erase")
@_identifier_options
@click.option("--dry-run", is_flag=True, help="List what would be erased; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (asked on a terminal).")
@with_context
def erase(
    ctx: Context, phone: str | None, email: str | None, ref: str | None, dry_run: bool, yes: bool
) -> None:
    """Erase the person's personal data: the identifier given and those seen with it on one
    contact (the opt-out, the erasure ledger's keyed hashes and anonymous scores stay)."""
    query = _query(phone, email, ref)
    ask = not yes and not dry_run and sys.stdin.isatty()
    with ctx.session() as session:
        plan = erase_customer(
            session,
            query,
            identifier_key=ctx.settings.identifier_key,
            now=ctx.now(),
            who=cli_who(),
            dry_run=dry_run or ask,
        )
        _echo_erasure(plan)
        if not plan.dry_run:
            return
        if not ask:
            click.echo("dry run: nothing was erased")
            return
        click.confirm("Erase all of this?", abort=True)
        result = erase_customer(
            session, query, identifier_key=ctx.settings.identifier_key, now=ctx.now(), who=cli_who()
        )
    _echo_erasure(result)


def _echo_erasure(result: ErasureResult) -> None:
    verb = "would erase" if result.dry_run else "erased"
    for item in result.identifiers:
        click.echo(f"{verb} {item['kind']}: {item['value']}")
    click.echo(
        f"{verb}: {result.contacts} contacts, {result.surveys} surveys, {result.comments} "
        f"comments; {result.cancelled} scheduled surveys cancelled"
    )


@customers.command("erasure-ledger")
@with_context
def erasure_ledger(ctx: Context) -> None:
    """Print the erasure ledger (keyed hashes, JSON lines): keep it apart from the database
    backups, to repeat every erasure after a restore."""
    with ctx.session() as session:
        for line in ledger_lines(session):
            click.echo(line)


@customers.command("reapply-erasures")
@click.option(
    "--ledger",
    "ledger_file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="An exported ledger (survey customers erasure-ledger) with erasures newer than the "
    "restored backup.",
)
@with_context
def reapply_erasures(ctx: Context, ledger_file: TextIO | None) -> None:
    """Repeat every erasure of the ledger: run it after restoring a database backup."""
    try:
        extra = parse_ledger(ledger_file) if ledger_file else {}
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with ctx.session() as session:
        result = ledger.reapply_erasures(
            session,
            identifier_key=ctx.settings.identifier_key,
            now=ctx.now(),
            who=cli_who(),
            extra=extra,
        )
    click.echo(
        f"reapplied {result.identifiers} erased identifiers: {result.contacts} contacts, "
        f"{result.surveys} surveys, {result.comments} comments"
    )
