"""The KPIs' days, ISO weeks and months come from the local closure date stored at ingest and
are labelled by the database, without a parameter per bucket: DST nights, ISO week 53, and the
same labels as Python's (and so as the surveys', which the satisfaction report groups by)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Date, literal, select, union_all
from sqlmodel import col

from survey.context import Context
from survey.intake.ingest import ingest_batch
from survey.models import Case, Contact
from survey.reporting.counting import time_label
from survey.reporting.kpi import contact_counts_query, contact_kpis, resolved_cases_query
from survey.reporting.report import ReportRequest
from survey.store import store_of
from tests.factories import contact_payload, make_actor, make_response, make_survey

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)  # type: ignore[misc]


def _ingest(ctx: Context, actor_id: int, *closures: tuple[str, datetime]) -> None:
    """Contacts through the ingest use case, one per (case_ref, local closure time)."""
    items = [
        contact_payload(case_ref=ref, closed_at=closed.isoformat(), opened_at=None)
        for ref, closed in closures
    ]
    with ctx.session() as session:
        result, errors = ingest_batch(
            session,
            actor_id=actor_id,
            items=items,
            now=max(closed for _, closed in closures) + timedelta(hours=1),
            default_language="sv",
            identifier_key=ctx.settings.identifier_key,
        )
    assert errors == [] and result.accepted == len(items)


def _actor_id(ctx: Context) -> int:
    with ctx.session() as session:
        actor = make_actor(session)
        assert actor.id is not None
        return actor.id


def _kpis(ctx: Context, start: date, end: date, *keys: str) -> dict[tuple[Any, ...], Any]:
    with ctx.session() as session:
        report = contact_kpis(session, ReportRequest(start, end, keys), min_group_size=5)
    return {tuple(g["key"].values()): g for g in report["groups"]}


# The last Sundays of March and October 2026: the clocks go forward, then back, that night.
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)


@pytest.mark.parametrize("sunday", [SPRING, AUTUMN])
def test_contacts_at_half_past_midnight_and_eleven_count_under_their_local_day(
    ctx: Context, sunday: date
) -> None:
    early = _local(sunday.year, sunday.month, sunday.day, 0, 30)
    late = _local(sunday.year, sunday.month, sunday.day, 23, 30)
    _ingest(ctx, _actor_id(ctx), ("DST-1", early), ("DST-2", late))
    with ctx.session() as session:
        stored = set(session.scalars(select(col(Contact.closed_local_date))))
        cases = set(session.scalars(select(col(Case.last_closed_local_date))))
    assert stored == cases == {sunday}
    days = _kpis(ctx, sunday - timedelta(days=1), sunday + timedelta(days=2), "day")
    assert set(days) == {(sunday.isoformat(),)}
    assert days[(sunday.isoformat(),)]["contacts"] == 2
    assert days[(sunday.isoformat(),)]["resolution_time_hours"]["n"] == 2
    weeks = _kpis(ctx, sunday - timedelta(days=6), sunday + timedelta(days=1), "week")
    assert set(weeks) == {(time_label(sunday, "week"),)}


def test_a_survey_and_its_contact_fall_in_the_same_day_across_the_autumn_night(
    ctx: Context,
) -> None:
    closed = _local(2026, 10, 25, 0, 30)  # 2026-10-24 22:30 UTC
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact={"closed_at": closed}, delivery_status="sent")
        make_response(session, survey, overall=5, fcr="yes")
    days = _kpis(ctx, date(2026, 10, 24), date(2026, 10, 26), "day")
    assert set(days) == {("2026-10-25",)}
    assert days[("2026-10-25",)]["contacts"] == 1
    assert days[("2026-10-25",)]["fcr"]["n"] == 1


def test_the_turn_of_2026_falls_in_iso_week_53_of_2026(ctx: Context) -> None:
    _ingest(
        ctx,
        _actor_id(ctx),
        ("Y-1", _local(2026, 12, 31, 23, 30)),  # a Thursday
        ("Y-2", _local(2027, 1, 1, 0, 30)),
        ("Y-3", _local(2027, 1, 3, 23, 30)),  # the Sunday that ends 2026-W53
        ("Y-4", _local(2027, 1, 4, 0, 30)),  # the Monday of 2027-W01
    )
    weeks = _kpis(ctx, date(2026, 12, 28), date(2027, 1, 11), "week")
    assert {key: g["contacts"] for key, g in weeks.items()} == {("2026-W53",): 3, ("2027-W01",): 1}
    months = _kpis(ctx, date(2026, 12, 1), date(2027, 2, 1), "month")
    assert {key: g["contacts"] for key, g in months.items()} == {("2026-12",): 1, ("2027-01",): 3}


def test_a_case_keeps_the_local_date_of_its_last_closure_whatever_the_order_of_arrival(
    ctx: Context,
) -> None:
    actor_id = _actor_id(ctx)
    _ingest(ctx, actor_id, ("LATE", _local(2026, 3, 29, 23, 30)))
    _ingest(ctx, actor_id, ("LATE", _local(2026, 3, 27, 12, 0)))  # an earlier contact, later
    _ingest(ctx, actor_id, ("LATE", _local(2026, 3, 30, 0, 30)), ("LATE", _local(2026, 3, 28)))
    with ctx.session() as session:
        case = session.get(Case, "LATE")
        assert case is not None
        assert case.last_closed_local_date == date(2026, 3, 30)
        assert case.last_closed_at == _local(2026, 3, 30, 0, 30)


def _sql_labels(ctx: Context, days: list[date], key: str) -> list[str]:
    with ctx.session() as session:
        label = store_of(session).period_label
        rows = union_all(
            *(select(literal(i), label(literal(day, Date), key)) for i, day in enumerate(days))
        )
        found = {i: label for i, label in session.execute(rows)}
    return [found[i] for i in range(len(days))]


def test_the_database_labels_every_date_as_python_does(ctx: Context) -> None:
    # Every turn of the year from 1998 to 2041 (ISO years of 52 and 53 weeks, leap years),
    # and every day of two whole years.
    days = sorted(
        {date(y, 12, 20) + timedelta(days=d) for y in range(1998, 2041) for d in range(24)}
        | {date(2026, 1, 1) + timedelta(days=d) for d in range(731)}
    )
    for key in ("day", "week", "month"):
        for start in range(0, len(days), 400):
            chunk = days[start : start + 400]
            assert _sql_labels(ctx, chunk, key) == [time_label(d, key) for d in chunk], key


@pytest.mark.parametrize("key", ["day", "week", "month"])
def test_the_kpi_statements_bind_as_many_parameters_for_a_year_as_for_ten_days(
    ctx: Context, key: str
) -> None:
    start = date(2026, 1, 5)

    def parameters(days: int, keys: tuple[str, ...]) -> tuple[int, int]:
        request = ReportRequest(start, start + timedelta(days=days), keys)
        with ctx.session() as session:
            counts = contact_counts_query(session, request).compile(ctx.engine)
            resolved = resolved_cases_query(session, request).compile(ctx.engine)
        return len(counts.params), len(resolved.params)

    ten_days, a_year = parameters(10, (key, "team")), parameters(366, (key, "team"))
    assert ten_days == a_year == parameters(366, ("team",))
    assert all(n > 0 for n in a_year)  # the period's limits are parameters: they are counted
