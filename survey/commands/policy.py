"""`survey policy show|set`: the sampling policy; every change is audited and applies forward."""

from __future__ import annotations

import click

from survey.commands import Context, with_context
from survey.commands.admin import cli_who
from survey.errors import ServiceError
from survey.sampling import policy as policies


@click.group()
def policy() -> None:
    """The sampling policy (rate, delays, cap, quiet hours, expiry, reminders)."""


@policy.command("show")
@with_context
def policy_show(ctx: Context) -> None:
    """Print the policy in force now, one KEY VALUE per line."""
    with ctx.session() as session:
        current = policies.effective_policy(session, ctx.now())
    for key, value in policies.policy_dict(current).items():
        click.echo(f"{key} {value}")


@policy.command("set")
@click.argument("key", type=click.Choice(policies.POLICY_KEYS))
@click.argument("value")
@click.option("--reason", default=None, help="Why; kept in the audit log.")
@with_context
def policy_set(ctx: Context, key: str, value: str, reason: str | None) -> None:
    """Change one policy value from now on (cases whose last closure is after now)."""
    with ctx.session() as session:
        try:
            version = policies.change_policy(
                session,
                key=key,
                value=value,
                who=cli_who(),
                reason=reason,
                now=ctx.now(),
            )
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{key} set to {version.values[key]} from {version.effective_from.isoformat()}")
