"""The two stores keep one contract: what differs is how a statement is written, never what
it finds or writes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import literal, select, union_all
from sqlmodel import col

from survey.context import Context
from survey.models import Actor
from survey.reporting.stats import percentile_cont
from survey.store.types import UTCDateTime


def _actor(name: str) -> dict[str, object]:
    # Rows carry every value: a store applies no column defaults of the models.
    return {"name": name, "created_at": datetime(2026, 11, 30, tzinfo=UTC)}


def test_among_finds_every_value_past_any_chunk_size(ctx: Context) -> None:
    names = [f"actor {n:04d}" for n in range(2_000)]
    with ctx.session() as session:
        table = Actor.__table__  # type: ignore[attr-defined]
        ctx.store.insert_rows(session, table, [_actor(n) for n in names])
        session.commit()
        wanted = [*names[::3], "nobody"]
        found: list[str] = []
        for condition in ctx.store.among(session, col(Actor.name), wanted):
            found += session.scalars(select(col(Actor.name)).where(condition))
    assert sorted(found) == sorted(names[::3])


def test_insert_rows_skips_conflicts_and_returns_only_what_it_inserted(ctx: Context) -> None:
    table = Actor.__table__  # type: ignore[attr-defined]
    with ctx.session() as session:
        ctx.store.insert_rows(session, table, [_actor("in-house")])
        rows = ctx.store.insert_rows(
            session,
            table,
            [_actor("in-house"), _actor("outsourced")],
            conflict="name",
            returning=("name",),
        )
        session.commit()
        stored = sorted(session.scalars(select(col(Actor.name))))
    assert [row.name for row in rows] == ["outsourced"]
    assert stored == ["in-house", "outsourced"]


def test_seconds_between_two_timestamps(ctx: Context) -> None:
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # across the change to summer time
    end = start + timedelta(hours=2, minutes=30, seconds=15)
    later, earlier = literal(end, UTCDateTime()), literal(start, UTCDateTime())
    with ctx.session() as session:
        seconds = session.scalar(select(ctx.store.seconds_between(later, earlier)))
    assert abs(float(seconds) - 9015.0) < 1e-3


def test_percentiles_per_group_interpolate_as_percentile_cont(ctx: Context) -> None:
    rng = random.Random(7)
    values = {"a": [rng.uniform(0, 1e5) for _ in range(23)], "b": [42.0], "c": [1.0, 3.0]}
    rows = [
        select(literal(group).label("k_group"), literal(v).label("seconds"))
        for group, vs in values.items()
        for v in vs
    ]
    with ctx.session() as session:
        found = ctx.store.percentiles(session, union_all(*rows), ["k_group"], (0.5, 0.9))
    assert set(found) == {("a",), ("b",), ("c",)}
    for group, vs in values.items():
        n, (median, p90) = found[(group,)]
        assert n == len(vs)
        assert abs(median - percentile_cont(sorted(vs), 0.5)) < 1e-6  # type: ignore[operator]
        assert abs(p90 - percentile_cont(sorted(vs), 0.9)) < 1e-6  # type: ignore[operator]
