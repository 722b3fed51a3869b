"""`survey audit verify|head|fingerprint`: let an auditor check the audit chain and recompute
every draw."""

from __future__ import annotations

from datetime import datetime

import click

from survey.accounts.audit_log import head, verify_chain
from survey.commands import Context, with_context
from survey.sampling.draw import key_fingerprint
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
