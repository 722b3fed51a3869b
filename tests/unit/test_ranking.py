"""Agents ranked by an empirical Bayes mean: shrunk toward the team mean, never past it, with
τ² by the method of moments checked against a direct computation over the answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from survey.reporting.ranking import AgentSums, pooled, rank_team

answers = st.lists(st.integers(min_value=1, max_value=5), min_size=5, max_size=60)
teams = st.lists(answers, min_size=1, max_size=8)


def sums(name: str, values: list[int]) -> AgentSums:
    return AgentSums(name, len(values), sum(values), sum(v * v for v in values))


def team_of(values: list[list[int]]) -> list[AgentSums]:
    return [sums(f"agent-{i}", v) for i, v in enumerate(values)]


def dersimonian_laird(values: list[list[int]]) -> tuple[float, float, float]:
    """Team mean, σ² and τ² straight from the answers, with numpy."""
    arrays = [np.array(v, dtype=float) for v in values]
    n = np.array([len(a) for a in arrays])
    means = np.array([a.mean() for a in arrays])
    sigma2 = sum(((a - a.mean()) ** 2).sum() for a in arrays) / (n.sum() - len(arrays))
    mu = np.concatenate(arrays).mean()
    w = n / sigma2
    q = (w * (means - mu) ** 2).sum()
    tau2 = max(0.0, (q - (len(arrays) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return mu, sigma2, tau2


@given(values=st.lists(answers, min_size=2, max_size=8))
@settings(max_examples=200, deadline=None)
def test_tau2_is_the_method_of_moments_estimate(values: list[list[int]]) -> None:
    assume(any(len(set(v)) > 1 for v in values))
    team = pooled(team_of(values))
    mu, sigma2, tau2 = dersimonian_laird(values)
    assert team.mean == pytest.approx(mu)
    assert team.within_variance == pytest.approx(sigma2)
    assert team.tau2 == pytest.approx(tau2, abs=1e-9)


@given(values=teams)
@settings(max_examples=200, deadline=None)
def test_every_mean_moves_toward_the_team_mean_and_never_past_it(
    values: list[list[int]],
) -> None:
    assume(any(len(set(v)) > 1 for v in values))
    ranking = rank_team(team_of(values), min_group_size=5)
    mu = ranking["team_mean"]
    assert len(ranking["agents"]) == len(values) and ranking["hidden"] == []
    for agent in ranking["agents"]:
        raw, estimate = agent["mean"], agent["shrunk_mean"]
        assert min(raw, mu) - 1e-9 <= estimate <= max(raw, mu) + 1e-9
        low, high = agent["ci95"]
        assert low <= estimate <= high
    shrunk = [a["shrunk_mean"] for a in ranking["agents"]]
    assert shrunk == sorted(shrunk, reverse=True)


def test_without_variation_between_agents_every_agent_gets_the_team_mean() -> None:
    """τ² = 0 is complete pooling: one estimate and one interval, the team's."""
    values = [[3, 4, 5, 4, 3, 4], [5, 3, 4, 4, 4, 3, 5], [4, 4, 3, 5, 4]]
    ranking = rank_team(team_of(values), min_group_size=5)
    assert ranking["tau2"] == 0.0
    everyone = [v for agent in values for v in agent]
    for agent in ranking["agents"]:
        assert agent["shrunk_mean"] == pytest.approx(np.mean(everyone))
    assert len({tuple(round(x, 12) for x in a["ci95"]) for a in ranking["agents"]}) == 1


@given(agent=answers, copies=st.integers(min_value=2, max_value=5), other=answers)
@settings(max_examples=100, deadline=None)
def test_identical_agents_get_identical_estimates(
    agent: list[int], copies: int, other: list[int]
) -> None:
    assume(len(set(agent)) > 1)
    ranking = rank_team(team_of([agent] * copies + [other]), min_group_size=5)
    same = [a for a in ranking["agents"] if a["mean"] == pytest.approx(np.mean(agent))]
    assert len(same) >= copies
    first = same[0]
    for twin in same[1:copies]:
        assert twin["shrunk_mean"] == pytest.approx(first["shrunk_mean"])
        assert twin["ci95"] == pytest.approx(first["ci95"])


def test_a_clearly_better_agent_is_shrunk_less_the_more_answers_it_has() -> None:
    few = [5] * 6 + [4] * 2
    many = few * 5
    base = [[2, 3, 3, 4, 2, 3, 3, 2], [3, 3, 2, 4, 3, 2, 3, 3], [2, 3, 3, 3, 4, 2, 3, 3]]
    small = rank_team(team_of([*base, few]), min_group_size=5)["agents"][0]
    large = rank_team(team_of([*base, many]), min_group_size=5)["agents"][0]
    assert small["mean"] == large["mean"]
    assert small["shrunk_mean"] < large["shrunk_mean"] < large["mean"]
    assert small["ci95"][1] - small["ci95"][0] > large["ci95"][1] - large["ci95"][0]


def test_small_agents_are_listed_as_hidden_and_hide_the_next_smallest() -> None:
    agents = [
        sums("tiny", [1, 2]),
        sums("small", [4, 4, 5, 3, 4, 4]),
        sums("large", [3, 4, 5, 4, 2, 4, 5, 3, 4]),
        sums("none", []),
    ]
    ranking = rank_team(agents, min_group_size=5)
    assert ranking["hidden"] == [
        {"agent": "tiny", "n": 2},
        {"agent": "small", "n": 6},
        {"agent": "none", "n": 0},
    ]
    assert [a["agent"] for a in ranking["agents"]] == ["large"]
    # One ranked agent: the team is that agent, nothing to shrink toward.
    assert ranking["agents"][0]["shrunk_mean"] == pytest.approx(34 / 9)
    assert ranking["team_mean"] == pytest.approx(34 / 9)
    all_hidden = rank_team(agents[:2], min_group_size=5)
    assert all_hidden["agents"] == [] and all_hidden["team_mean"] is None
