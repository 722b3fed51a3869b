"""GDPR access and erasure for one customer identifier."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from survey.commands import Context, with_context
from survey.commands.admin import cli_who
from survey.errors import ServiceError
from survey.privacy.access import export_customer
from survey.privacy.erasure import erase_customer
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
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (asked on a terminal).")
@with_context
def erase(ctx: Context, phone: str | None, email: str | None, ref: str | None, yes: bool) -> None:
    """Erase the customer's personal data (the opt-out log and anonymous answers stay)."""
    query = _query(phone, email, ref)
    if not yes and sys.stdin.isatty():
        click.confirm(
            f"Erase the personal data of the customer with this {query.label()}?", abort=True
        )
    with ctx.session() as session:
        result = erase_customer(
            session, query, identifier_key=ctx.settings.identifier_key, now=ctx.now(), who=cli_who()
        )
    click.echo(
        f"erased: {result.contacts} contacts, {result.surveys} surveys, {result.comments} comments"
    )
