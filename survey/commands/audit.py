"""`survey audit verify|head|fingerprint|rotate-secret`: let an auditor check the audit chain and
recompute every draw; record a new sampling secret."""

from __future__ import annotations

from datetime import datetime

import click

from survey.accounts.audit_log import head, verify_chain
from survey.commands import Context, cli_who, with_context, with_settings
from survey.errors import ServiceError
from survey.sampling.draw import key_fingerprint
from survey.sampling.keys import rotate_secret
from survey.sampling.verify import period_bounds, verify_decisions


@click.group()
def audit() -> None:
    """Check the audit chain and every sampling decision; publish the chain's head and the key's
    fingerprint."""


@audit.command("verify")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@with_context
def audit_verify(ctx: Context, start: datetime, end: datetime) -> None:
    """Check the audit chain, then recompute every decision of cases closed from --from to --to
    (exclusive, Stockholm dates).

    Exits with status 1 on a broken chain or any mismatch.
    """
    low, high = period_bounds(start.date(), end.date())
    with ctx.session() as session:
        chain = verify_chain(session)
        result = verify_decisions(session, ctx.settings, start=low, end=high)
    if chain.broken_at is not None:
        click.echo(f"CHAIN BROKEN at audit entry {chain.broken_at}: {chain.problem}")
    else:
        click.echo(f"audit chain intact: {chain.entries} entries")
    for item in result.mismatches:
        click.echo(f"MISMATCH {item.case_ref}: {item.problem}")
    for item in result.warnings:
        click.echo(f"warning {item.case_ref}: {item.problem}")
    if result.pseudonymised:
        click.echo(
            f"{result.pseudonymised} decisions of cases pseudonymised after retention: "
            "their draws cannot be recomputed"
        )
    click.echo(f"checked {result.checked} decisions, {len(result.mismatches)} mismatches")
    if not result.ok or chain.broken_at is not None:
        raise SystemExit(1)


@audit.command("head")
@with_context
def audit_head(ctx: Context) -> None:
    """Print the SHA-256 head of the audit chain: publish it, so that no entry up to it can be
    changed or removed unseen."""
    with ctx.session() as session:
        click.echo(head(session))


@audit.command("fingerprint")
@with_context
def audit_fingerprint(ctx: Context) -> None:
    """Print SHA-256 of SURVEY_SAMPLING_SECRET: publish it first, reveal the key later."""
    click.echo(key_fingerprint(ctx.settings.sampling_secret))


@audit.command("rotate-secret")
@click.option("--reason", required=True, help="Why; kept in the audit log.")
@with_settings
def audit_rotate_secret(ctx: Context, reason: str) -> None:
    """Put SURVEY_SAMPLING_SECRET in force from now on (audited). The secret in force until now
    must be in SURVEY_PREVIOUS_SAMPLING_SECRETS, so that earlier draws can still be verified."""
    with ctx.session() as session:
        try:
            rotation = rotate_secret(
                session, ctx.settings, who=cli_who(), reason=reason, now=ctx.now()
            )
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from None
    if not rotation.changed:
        click.echo(f"SURVEY_SAMPLING_SECRET is already in force ({rotation.new}): nothing to do")
        return
    click.echo(f"sampling secret {rotation.new} in force from now; it replaces {rotation.old}")
