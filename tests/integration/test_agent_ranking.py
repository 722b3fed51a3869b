"""GET /api/v1/reports/agents: each team's agents ordered by their shrunk mean, always with its
interval; small agents hidden; one whole week or month; organisation keys only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from survey.context import Context
from survey.models import Actor
from survey.reporting.ranking import AgentSums, rank_team
from survey.sampling.draw import STOCKHOLM
from tests.factories import (
    bearer,
    make_actor,
    make_api_key,
    make_organisation_key,
    make_response,
    make_survey,
)

MONDAY = date(2026, 1, 12)
WEEK = {"from": "2026-01-12", "to": "2026-01-19"}
SCORES = {
    ("team-a", "a"): [5, 5, 5, 4, 4, 5, 4, 5, 3],
    ("team-a", "b"): [1, 2],
    ("team-a", "c"): [4, 5, 5, 4, 4, 3],
    ("team-a", "d"): [2, 3, 3, 4, 2, 3, 3, 1],
    ("team-b", "e"): [4, 4, 4, 5, 3, 4],
}


def _answer(ctx: Context, actor: Actor, day: date, overall: int, team: str, agent: str) -> None:
    closed = datetime(day.year, day.month, day.day, 12, tzinfo=STOCKHOLM)
    with ctx.session() as session:
        contact = {"closed_at": closed, "team": team, "agent": agent}
        survey = make_survey(ctx, session, actor=actor, contact=contact)
        make_response(session, survey, overall=overall)


@pytest.fixture
def week(ctx: Context) -> None:
    with ctx.session() as session:
        actor = make_actor(session, "in-house")
    for (team, agent), scores in SCORES.items():
        for i, score in enumerate(scores):
            _answer(ctx, actor, MONDAY + timedelta(days=i % 7), score, team, agent)


def _get(client: FlaskClient, key: str, **query: Any) -> Any:
    return client.get("/api/v1/reports/agents", query_string=query, headers=bearer(key))


@pytest.mark.usefixtures("week")
def test_agents_are_ordered_by_shrunk_mean_with_intervals_and_small_ones_hidden(
    ctx: Context, client: FlaskClient
) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    answer = _get(client, key, **WEEK)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["from"], body["to"]) == ("2026-01-12", "2026-01-19")
    teams = {t["team"]: t for t in body["teams"]}
    assert list(teams) == ["team-a", "team-b"]
    team_a = teams["team-a"]
    # b has two answers; c, the next smallest, is hidden with it (no subtraction from a team).
    assert team_a["hidden"] == [{"agent": "b", "n": 2}, {"agent": "c", "n": 6}]
    assert [a["agent"] for a in team_a["agents"]] == ["a", "d"]
    expected = rank_team(
        [
            AgentSums(agent, len(s), sum(s), sum(v * v for v in s))
            for (_, agent), s in SCORES.items()
            if agent in "ad"
        ],
        min_group_size=5,
    )
    for got, want in zip(team_a["agents"], expected["agents"], strict=True):
        assert got["n"] == want["n"] and got["mean"] == pytest.approx(want["mean"])
        assert got["shrunk_mean"] == pytest.approx(want["shrunk_mean"])
        assert got["ci95"] == pytest.approx(want["ci95"])
        assert got["ci95"][0] <= got["shrunk_mean"] <= got["ci95"][1]
    a_scores, d_scores = SCORES[("team-a", "a")], SCORES[("team-a", "d")]
    assert team_a["team_mean"] == pytest.approx(sum(a_scores + d_scores) / 17)
    assert team_a["tau2"] == pytest.approx(expected["tau2"]) and team_a["tau2"] > 0
    [e] = teams["team-b"]["agents"]
    assert e["agent"] == "e" and e["shrunk_mean"] == pytest.approx(e["mean"])


@pytest.mark.usefixtures("week")
def test_only_one_whole_week_or_month_is_answered(ctx: Context, client: FlaskClient) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    for period in (
        {"from": "2026-01-13", "to": "2026-01-20"},
        {"from": "2026-01-12", "to": "2026-01-26"},
        {"from": "2026-01-01", "to": "2026-01-31"},
    ):
        refused = _get(client, key, **period)
        assert refused.status_code == 400, period
        assert refused.get_json()["rule"] == "whole-calendar-periods"
    month = _get(client, key, **{"from": "2026-01-01", "to": "2026-02-01"})
    assert month.status_code == 200
    assert {t["team"] for t in month.get_json()["teams"]} == {"team-a", "team-b"}
    assert _get(client, key, **{"from": "2026-01-12"}).status_code == 400


@pytest.mark.usefixtures("week")
def test_an_actors_key_cannot_read_the_ranking(ctx: Context, client: FlaskClient) -> None:
    own = make_api_key(ctx, "in-house", "reports")
    refused = _get(client, own, **WEEK)
    assert refused.status_code == 403 and "organisation key" in refused.get_json()["detail"]
    unscoped = make_organisation_key(ctx, "head-office", "privacy")
    answer = _get(client, unscoped, **WEEK)
    assert answer.status_code == 403 and answer.get_json()["scope"] == "reports"
