"""`survey outbox list`: messages held by the outbox backend (development only)."""

from __future__ import annotations

import json

import click

from survey.channels.outbox import list_messages, public_view
from survey.commands import Context, with_context


@click.group()
def outbox() -> None:
    """Messages kept by the outbox backend instead of being sent."""


@outbox.command("list")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@click.option("--limit", type=int, default=None, help="At most this many, oldest first.")
@with_context
def list_command(ctx: Context, fmt: str, limit: int | None) -> None:
    """List the messages (to, channel, subject, body, link)."""
    with ctx.session() as session:
        rows = [public_view(row) for row in list_messages(session, limit=limit)]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['channel']} to {row['to']}: {row['subject'] or ''}")
        click.echo(f"  {row['link']}")
