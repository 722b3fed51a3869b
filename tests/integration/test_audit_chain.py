"""The audit log is a hash chain: an entry changed, removed or slipped in afterwards shows in
`survey audit verify`, and `survey audit head` gives the hash to publish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import col

from survey.accounts.audit_log import GENESIS, audit, chain_hash, head, verify_chain
from survey.context import Context
from survey.db import utcnow
from survey.models import AuditLog

PERIOD = ("--from", "2026-03-01", "--to", "2026-04-01")


def write_entries(ctx: Context, n: int = 5) -> None:
    with ctx.session() as session:
        for i in range(n):
            # Two in one transaction, the rest each in its own: both must chain.
            audit(session, who="admin:anna@example.se", action="policy.change", n=i, rate="0.2")
            if i % 2:
                session.commit()
        session.commit()


def test_entries_chain_from_the_first_to_the_head(ctx: Context) -> None:
    write_entries(ctx)
    with ctx.session() as session:
        entries = session.scalars(select(AuditLog).order_by(col(AuditLog.id))).all()
        assert verify_chain(session).broken_at is None
        assert head(session) == entries[-1].chain_hash
    previous = GENESIS
    for entry in entries:
        assert entry.chain_hash == chain_hash(previous, entry.payload_hash)
        previous = entry.chain_hash


def test_verify_and_head_on_the_command_line(runner: Callable[..., Any], ctx: Context) -> None:
    write_entries(ctx)
    verified = runner("audit", "verify", *PERIOD)
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact: 6 entries" in verified.output  # the initial policy first
    printed = runner("audit", "head")
    with ctx.session() as session:
        assert printed.output.strip() == head(session) != GENESIS


def test_a_changed_entry_breaks_the_chain_there(runner: Callable[..., Any], ctx: Context) -> None:
    write_entries(ctx)
    with ctx.session() as session:
        third = session.scalars(select(AuditLog.id).order_by(col(AuditLog.id))).all()[2]
        session.execute(
            update(AuditLog).where(col(AuditLog.id) == third).values(who="someone else")
        )
        session.commit()
    result = runner("audit", "verify", *PERIOD)
    assert result.exit_code == 1
    assert f"CHAIN BROKEN at audit entry {third}: its payload differs" in result.output


def test_a_removed_entry_breaks_the_chain_at_the_next(
    runner: Callable[..., Any], ctx: Context
) -> None:
    write_entries(ctx)
    with ctx.session() as session:
        ids = session.scalars(select(AuditLog.id).order_by(col(AuditLog.id))).all()
        session.execute(delete(AuditLog).where(col(AuditLog.id) == ids[1]))
        session.commit()
    result = runner("audit", "verify", *PERIOD)
    assert result.exit_code == 1
    assert f"CHAIN BROKEN at audit entry {ids[2]}: it does not follow" in result.output


def test_a_redacted_payload_keeps_the_chain(ctx: Context) -> None:
    """Erasure may clear an entry's payload; its hashes stay, and so does the chain."""
    write_entries(ctx)
    with ctx.session() as session:
        first = session.scalars(select(AuditLog.id).order_by(col(AuditLog.id))).first()
        session.execute(
            update(AuditLog)
            .where(col(AuditLog.id) == first)
            .values(details={}, subject=None, redacted_at=utcnow())
        )
        session.commit()
        assert verify_chain(session).broken_at is None


def test_writers_at_the_same_time_leave_one_chain(make_ctx: Callable[..., Context]) -> None:
    """Appends are serialised (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite):
    however writers interleave, each entry follows exactly one other."""
    from concurrent.futures import ThreadPoolExecutor

    contexts = [make_ctx() for _ in range(3)]

    def write(ctx: Context) -> None:
        for i in range(15):
            with ctx.session() as session:
                audit(session, who="job", action="retention.purge", n=i)
                session.commit()

    with ThreadPoolExecutor(len(contexts)) as pool:
        list(pool.map(write, contexts))
    with contexts[0].session() as session:
        check = verify_chain(session)
    assert (check.entries, check.broken_at) == (1 + 45, None)  # after the initial policy
