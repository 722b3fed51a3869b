"""Health checks: the web process's (database, migration head) and the scheduler's heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from survey.context import Context
from survey.migrate import MIGRATIONS
from survey.store.leases import SLOT_LEASE, scheduler_heartbeat_age


@cache
def migration_heads() -> frozenset[str]:
    """The head revisions of the migrations shipped with this code."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def at_migration_head(ctx: Context) -> bool:
    """Whether the database's schema is the one this code expects (`survey db upgrade` ran)."""
    try:
        with ctx.engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            found = frozenset(current)
    except SQLAlchemyError:
        return False
    return found == migration_heads()


@dataclass(frozen=True)
class Heartbeat:
    age_seconds: float | None  # None: no scheduler has ever held a slot, or it left

    @property
    def alive(self) -> bool:
        return self.age_seconds is not None and self.age_seconds <= SLOT_LEASE.total_seconds()


def scheduler_heartbeat(ctx: Context) -> Heartbeat:
    try:
        with ctx.session() as session:
            return Heartbeat(scheduler_heartbeat_age(session, ctx.now()))
    except SQLAlchemyError:
        return Heartbeat(None)  # no database: no scheduler can be working either
