"""API keys: an actor's or the organisation's, with scopes; listed and revoked by prefix."""

from __future__ import annotations

import json

import click

from survey import accounts
from survey.accounts.api_keys import KeyInfo
from survey.commands import Context, with_context
from survey.commands.admin import cli_who
from survey.errors import ServiceError
from survey.models import ApiScope

SCOPES = click.Choice([s.value for s in ApiScope])


@click.group()
def apikeys() -> None:
    """API keys of actors and of the organisation."""


@apikeys.command("create")
@click.option("--actor", "actor_name", default=None, help="An actor's key.")
@click.option("--organisation", is_flag=True, help="An organisation key (no actor); needs --name.")
@click.option("--name", "label", default=None, help="The organisation key's label.")
@click.option(
    "--scope",
    "scopes",
    type=SCOPES,
    multiple=True,
    help="Repeat for several; an actor's key has contacts and opt-outs unless given.",
)
@with_context
def apikeys_create(
    ctx: Context,
    actor_name: str | None,
    organisation: bool,
    label: str | None,
    scopes: tuple[str, ...],
) -> None:
    """Print a new key once; only its hash is stored."""
    if organisation == (actor_name is not None):
        raise click.UsageError("give either --actor NAME or --organisation --name LABEL")
    if organisation and not label:
        raise click.UsageError("an organisation key needs --name LABEL")
    with ctx.session() as session:
        try:
            if actor_name is not None:
                key = accounts.create_api_key(
                    session, actor_name=actor_name, scopes=scopes, who=cli_who()
                )
            else:
                assert label is not None
                key = accounts.create_organisation_key(
                    session, label=label, scopes=scopes, who=cli_who()
                )
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(key)
    click.echo("Store this key now: it is not shown again.", err=True)


@apikeys.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@with_context
def apikeys_list(ctx: Context, fmt: str) -> None:
    """Every key's prefix, owner, scopes, creation and revocation (never the key)."""
    with ctx.session() as session:
        keys = accounts.list_api_keys(session)
    if fmt == "json":
        click.echo(json.dumps([k.as_dict() for k in keys], indent=2))
        return
    for key in keys:
        click.echo(_line(key))


def _line(key: KeyInfo) -> str:
    revoked = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
    created = key.created_at.isoformat(timespec="seconds")
    return f"{key.prefix}  {key.owner}  {','.join(key.scopes)}  created {created}  {revoked}"


@apikeys.command("revoke")
@click.argument("prefix")
@with_context
def apikeys_revoke(ctx: Context, prefix: str) -> None:
    """Revoke a key by its prefix (see `survey apikeys list`); it is refused at once (audited)."""
    with ctx.session() as session:
        try:
            info = accounts.revoke_api_key(session, prefix=prefix, who=cli_who(), now=ctx.now())
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"key {info.prefix} of {info.owner} revoked")
