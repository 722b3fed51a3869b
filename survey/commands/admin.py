"""Actors and admin users."""

from __future__ import annotations

import secrets
import sys

import click

from survey import accounts
from survey.commands import Context, cli_who, with_context
from survey.errors import ServiceError
from survey.models import Role


@click.group()
def actors() -> None:
    """Units and companies that handle contacts."""


@actors.command("create")
@click.argument("name")
@with_context
def actors_create(ctx: Context, name: str) -> None:
    with ctx.session() as session:
        try:
            actor = accounts.create_actor(session, name=name, who=cli_who())
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"actor {actor.name!r} created")


@click.group()
def users() -> None:
    """Admin web users."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--password",
    envvar="SURVEY_NEW_USER_PASSWORD",
    default=None,
    help="Or SURVEY_NEW_USER_PASSWORD; asked for on a terminal, else generated and printed.",
)
@with_context
def users_create(ctx: Context, email: str, role: str, password: str | None) -> None:
    generated = password is None and not sys.stdin.isatty()
    if generated:
        password = secrets.token_urlsafe(18)
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    assert password is not None
    with ctx.session() as session:
        try:
            accounts.create_user(session, email=email, password=password, role=role, who=cli_who())
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"user {email} created with role {role}")
    if generated:
        click.echo(f"password: {password}")
        click.echo("Store this password now: it is not shown again.", err=True)


@users.command("deactivate")
@click.argument("email")
@with_context
def users_deactivate(ctx: Context, email: str) -> None:
    """Refuse the user's logins and end every session of theirs (audited)."""
    with ctx.session() as session:
        try:
            user = accounts.deactivate_user(session, email=email, who=cli_who())
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"user {user.email} deactivated; their sessions are ended")
