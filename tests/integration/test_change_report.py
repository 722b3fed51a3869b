"""GET /api/v1/reports/change: each group's mean and CSAT against the previous period of equal
length, with intervals, null where either period's group is too small; an actor's key sees only
its own settled answers."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from scipy import stats as sp
from sqlmodel import select

from survey.context import Context
from survey.models import Actor
from survey.sampling.draw import STOCKHOLM
from tests.factories import (
    bearer,
    make_actor,
    make_api_key,
    make_organisation_key,
    make_response,
    make_survey,
)

PREVIOUS_WEEK = date(2026, 1, 5)  # ISO week 2026-W02
WEEK = {"from": "2026-01-12", "to": "2026-01-19"}  # 2026-W03
# Per agent: the previous week's scores, then this week's.
SCORES = {
    "a": ([3, 3, 3, 4, 4, 4, 2, 3, 5], [5, 5, 5, 4, 4, 5, 4, 5, 3]),
    "b": ([1, 2], [4, 4, 5, 5, 3, 4]),
    "c": ([4, 4, 5, 5, 4, 3], [4, 5, 5, 4, 4, 3]),
}


def _answer(ctx: Context, actor: Actor, day: date, overall: int, agent: str) -> None:
    closed = datetime(day.year, day.month, day.day, 12, tzinfo=STOCKHOLM)
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, actor=actor, contact={"closed_at": closed, "agent": agent}
        )
        make_response(session, survey, overall=overall)


def _answers(ctx: Context, actor: Actor, scores: dict[str, tuple[list[int], list[int]]]) -> None:
    for agent, (before, now) in scores.items():
        for i, score in enumerate(before):
            _answer(ctx, actor, PREVIOUS_WEEK + timedelta(days=i % 7), score, agent)
        for i, score in enumerate(now):
            _answer(ctx, actor, PREVIOUS_WEEK + timedelta(days=7 + i % 7), score, agent)


@pytest.fixture
def weeks(ctx: Context) -> None:
    with ctx.session() as session:
        actor = make_actor(session, "in-house")
    _answers(ctx, actor, SCORES)


def _get(client: FlaskClient, key: str, **query: Any) -> Any:
    return client.get("/api/v1/reports/change", query_string=query, headers=bearer(key))


@pytest.mark.usefixtures("weeks")
def test_the_change_by_agent_matches_welch_and_hides_small_groups(
    ctx: Context, client: FlaskClient
) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    answer = _get(client, key, **WEEK, group_by="agent")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["previous"] == {"from": "2026-01-05", "to": "2026-01-12"}
    groups = {g["key"]["agent"]: g for g in body["groups"]}
    assert list(groups) == ["a", "b", "c"]
    before, now = SCORES["a"]
    a = groups["a"]
    assert a["current"] == {"n": 9, "mean": pytest.approx(sum(now) / 9), "csat": 8 / 9}
    assert a["previous"] == {"n": 9, "mean": pytest.approx(sum(before) / 9), "csat": 4 / 9}
    welch = sp.ttest_ind(now, before, equal_var=False).confidence_interval(0.95)
    assert a["mean_diff"]["value"] == pytest.approx((sum(now) - sum(before)) / 9)
    assert a["mean_diff"]["ci95"] == pytest.approx([welch.low, welch.high])
    assert welch.low > 0 and a["mean_diff"]["significant"] is True
    assert a["csat_diff"]["value"] == pytest.approx(4 / 9)
    w1 = sp.binomtest(8, 9).proportion_ci(method="wilson")
    w2 = sp.binomtest(4, 9).proportion_ci(method="wilson")
    newcombe = [
        4 / 9 - math.hypot(8 / 9 - w1.low, w2.high - 4 / 9),
        4 / 9 + math.hypot(w1.high - 8 / 9, 4 / 9 - w2.low),
    ]
    assert a["csat_diff"]["ci95"] == pytest.approx(newcombe)
    assert a["csat_diff"]["significant"] is (newcombe[0] > 0)
    # b had two answers the week before; c is hidden with it so that b cannot be subtracted.
    for agent in ("b", "c"):
        hidden = groups[agent]
        assert hidden["current"]["mean"] is None and hidden["previous"]["csat"] is None
        assert hidden["mean_diff"] == {"value": None, "ci95": None, "significant": None}
        assert hidden["csat_diff"]["ci95"] is None
    assert groups["b"]["previous"]["n"] == 2
    total = body["total"]
    assert total["current"]["n"] == 21 and total["previous"]["n"] == 17
    assert (
        total["mean_diff"]["ci95"][0] < total["mean_diff"]["value"] < total["mean_diff"]["ci95"][1]
    )


@pytest.mark.usefixtures("weeks")
def test_a_calendar_month_is_compared_with_the_month_before(
    ctx: Context, client: FlaskClient
) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    answer = _get(client, key, **{"from": "2026-02-01", "to": "2026-03-01"}, group_by="agent")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["previous"] == {"from": "2026-01-01", "to": "2026-02-01"}
    assert body["total"]["current"]["n"] == 0 and body["total"]["previous"]["n"] == 38
    assert body["total"]["mean_diff"]["value"] is None
    january = _get(client, key, **{"from": "2026-01-01", "to": "2026-02-01"})
    assert january.get_json()["previous"] == {"from": "2025-12-01", "to": "2026-01-01"}
    days = _get(client, key, **{"from": "2026-01-12", "to": "2026-01-15"})
    assert days.get_json()["previous"] == {"from": "2026-01-09", "to": "2026-01-12"}


@pytest.mark.usefixtures("weeks")
def test_the_publication_rules_and_time_keys_are_refused(ctx: Context, client: FlaskClient) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    cut = _get(client, key, **{"from": "2026-01-13", "to": "2026-01-20"}, group_by="agent")
    assert cut.status_code == 400 and cut.get_json()["rule"] == "whole-calendar-periods"
    for time in ("day", "week", "month"):
        refused = _get(client, key, **WEEK, group_by=time)
        assert refused.status_code == 400
        assert "group_by cannot be" in refused.get_json()["detail"]
    too_early = _get(client, key, **{"from": "1900-01-01", "to": "1900-01-08"})
    assert too_early.status_code == 400
    assert _get(client, key, **WEEK).status_code == 200


def test_an_actors_key_sees_only_its_own_settled_answers(ctx: Context, client: FlaskClient) -> None:
    own_key = make_api_key(ctx, "in-house", "reports")
    with ctx.session() as session:
        own = session.exec(select(Actor).where(Actor.name == "in-house")).one()
        other = make_actor(session, "outsourced")
    _answers(ctx, own, {"a": SCORES["a"]})
    _answers(ctx, other, {"x": ([1] * 7, [5] * 7)})
    answer = _get(client, own_key, **WEEK, group_by="actor")
    assert answer.status_code == 200
    body = answer.get_json()
    assert [g["key"] for g in body["groups"]] == [{"actor": "in-house"}]
    assert body["total"]["current"]["n"] == 9 and body["total"]["previous"]["n"] == 9
    today = datetime.now(STOCKHOLM).date()
    monday = today - timedelta(days=today.weekday())
    period = {"from": monday.isoformat(), "to": (monday + timedelta(days=7)).isoformat()}
    unsettled = _get(client, own_key, **period)
    assert unsettled.status_code == 403 and "settled" in unsettled.get_json()["detail"]
    organisation = make_organisation_key(ctx, "head-office", "reports")
    assert _get(client, organisation, **period).status_code == 200
