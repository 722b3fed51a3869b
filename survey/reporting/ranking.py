"""Agents of a team ranked by a shrunk mean, never by the raw one alone.

An agent with few answers has a noisy mean, so a league table of raw means puts the luckiest
and unluckiest small samples at its ends. Each agent's mean is shrunk toward the team mean by
the normal-normal empirical Bayes estimate: agents' true means vary around the team mean with
variance τ², estimated by the method of moments (DerSimonian-Laird):
τ² = max(0, (Q - (k-1)) / (Σw - Σw²/Σw)), w = n/σ², Q = Σw(ȳ - μ)², σ² the pooled
within-agent variance and μ the team mean (of the ranked agents' answers). The shrunk mean is
μ + (1 - B)(ȳ - μ) with B = (σ²/n) / (σ²/n + τ²); its variance (1 - B)σ²/n + B²·Var(μ), with
Var(μ) = Σn²(σ²/n + τ²) / N², ignores the uncertainty of τ² itself, so the normal 95 % interval
is a little narrow when the team has few agents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey.reporting import stats


@dataclass(frozen=True)
class AgentSums:
    """One agent's overall answers: count, sum and sum of squares."""

    agent: str | None
    n: int
    total: float
    total_sq: float


@dataclass(frozen=True)
class Pooled:
    """The team's figures the shrinkage needs."""

    mean: float
    within_variance: float | None  # None with no agent answered twice
    tau2: float | None
    mean_variance: float | None


def pooled(agents: Sequence[AgentSums]) -> Pooled:
    """Team mean, pooled within-agent variance σ², τ² and the team mean's variance."""
    big_n = sum(a.n for a in agents)
    mean = sum(a.total for a in agents) / big_n
    spread = sum(max(0.0, a.total_sq - a.total * a.total / a.n) for a in agents)
    if big_n - len(agents) < 1:
        return Pooled(mean, None, None, None)
    sigma2 = spread / (big_n - len(agents))
    if sigma2 <= 0:
        return Pooled(mean, 0.0, None, 0.0)
    w = [a.n / sigma2 for a in agents]
    q = sum(wi * (a.total / a.n - mean) ** 2 for wi, a in zip(w, agents, strict=True))
    scale = sum(w) - sum(wi * wi for wi in w) / sum(w)
    tau2 = max(0.0, (q - (len(agents) - 1)) / scale) if scale > 0 else 0.0
    mean_variance = sum(a.n * a.n * (sigma2 / a.n + tau2) for a in agents) / big_n**2
    return Pooled(mean, sigma2, tau2, mean_variance)


def shrunk(agent: AgentSums, team: Pooled) -> tuple[float | None, list[float] | None]:
    """The agent's shrunk mean and its 95 % interval."""
    raw = agent.total / agent.n
    sigma2, tau2, mean_variance = team.within_variance, team.tau2, team.mean_variance
    if sigma2 is None or mean_variance is None:
        return None, None
    if tau2 is None:  # no spread within agents: each mean is exact, nothing to shrink
        return raw, [raw, raw]
    noise = sigma2 / agent.n
    b = noise / (noise + tau2) if noise + tau2 > 0 else 1.0
    estimate = team.mean + (1 - b) * (raw - team.mean)
    half = stats.Z95 * math.sqrt((1 - b) * noise + b * b * mean_variance)
    return estimate, [estimate - half, estimate + half]


def rank_team(agents: Sequence[AgentSums], *, min_group_size: int) -> dict[str, Any]:
    """A team's ranked agents (by shrunk mean, each with its interval) and its hidden ones:
    below the minimum size, or hidden with them so that the team figures do not give them
    away by subtraction (stats.suppressed_groups)."""
    hidden = stats.suppressed_groups({i: a.n for i, a in enumerate(agents)}, min_group_size)
    ranked = [a for i, a in enumerate(agents) if i not in hidden and a.n > 0]
    result: dict[str, Any] = {
        "team_mean": None,
        "within_variance": None,
        "tau2": None,
        "agents": [],
        "hidden": [{"agent": a.agent, "n": a.n} for i, a in enumerate(agents) if i in hidden],
    }
    if not ranked:
        return result
    team = pooled(ranked)
    rows: list[dict[str, Any]] = []
    for agent in ranked:
        estimate, interval = shrunk(agent, team)
        rows.append(
            {
                "agent": agent.agent,
                "n": agent.n,
                "mean": agent.total / agent.n,
                "shrunk_mean": estimate,
                "ci95": interval,
            }
        )
    rows.sort(key=lambda r: (-(r["shrunk_mean"] or 0.0), -r["mean"], str(r["agent"])))
    result.update(
        team_mean=team.mean, within_variance=team.within_variance, tau2=team.tau2, agents=rows
    )
    return result
