"""An attacker's view of a report's suppression, solved as linear programmes (scipy's HiGHS).

What a report publishes about one figure: every group's counts, every visible group's sums
(per sampling rate: a weighted and an unweighted mean give both slices' sums) and the total's.
The hidden groups' sums are then unknowns with one equation per slice (their combined sum) and
bounds from the scale (n·low..n·high). For the overall score the CSAT count c is an unknown
beside the sum, tied to it (n + 3c <= sum <= 3n + 2c), and the score's interval publishes the
sum of squares: where the hidden answers of a slice have no spread, each is the slice's mean,
so those unknowns are fixed. A hidden value is protected when its least and greatest feasible
value differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scipy.optimize import linprog


@dataclass(frozen=True)
class Slice:
    """One group's answers in one slice of a figure."""

    n: int
    total: float
    low: int = 1
    high: int = 5
    squares: float | None = None  # published through an interval
    csat: int | None = None  # answers of 4 or 5 (the overall score)


def _fixed(hidden: Sequence[Mapping[str, Slice]], name: str) -> float | None:
    """The common value of every hidden answer of a slice without spread, if it has none."""
    parts = [group[name] for group in hidden if name in group and group[name].n > 0]
    if not parts or any(p.squares is None for p in parts):
        return None
    n = sum(p.n for p in parts)
    total = sum(p.total for p in parts)
    squares = sum(float(p.squares or 0) for p in parts)
    return total / n if round(n * squares) == round(total * total) else None


def feasible_ranges(
    hidden: Sequence[Mapping[str, Slice]],
    weights: Mapping[str, float] | None = None,
    *,
    of_csat: bool = False,
) -> list[tuple[float, float] | None]:
    """Per hidden group, the least and greatest value of its sum (or CSAT count) over the
    slices, each slice weighted by `weights` when given (a weighted figure); None for a group
    without answers in the figure."""
    # Variables: (group, slice, "sum" or "csat").
    variables = [
        (g, name, kind)
        for g, group in enumerate(hidden)
        for name, part in group.items()
        if part.n
        for kind in (("sum", "csat") if part.csat is not None else ("sum",))
    ]
    index = {v: i for i, v in enumerate(variables)}
    bounds = []
    for g, name, kind in variables:
        part = hidden[g][name]
        value = _fixed(hidden, name)
        if kind == "csat":
            bounds.append((0, part.n))
        elif value is not None:
            bounds.append((value * part.n, value * part.n))
        else:
            bounds.append((part.n * part.low, part.n * part.high))
    a_eq, b_eq = [], []
    for name, kind in sorted({(v[1], v[2]) for v in variables}):
        a_eq.append([1.0 if (v[1], v[2]) == (name, kind) else 0.0 for v in variables])
        field = "total" if kind == "sum" else "csat"
        b_eq.append(sum(getattr(group[name], field) for group in hidden if name in group))
    a_ub, b_ub = [], []
    for g, name, kind in variables:
        if kind != "csat":
            continue
        n = hidden[g][name].n
        x, c = index[(g, name, "sum")], index[(g, name, "csat")]
        low = [0.0] * len(variables)  # n + 3c - x <= 0
        low[c], low[x] = 3.0, -1.0
        high = [0.0] * len(variables)  # x - 2c <= 3n
        high[x], high[c] = 1.0, -2.0
        a_ub += [low, high]
        b_ub += [-n, 3 * n]
    target = "csat" if of_csat else "sum"
    weight = weights or {}
    found: list[tuple[float, float] | None] = []
    for g in range(len(hidden)):
        objective = [
            weight.get(v[1], 1.0) if (v[0], v[2]) == (g, target) else 0.0 for v in variables
        ]
        if not any(objective):
            found.append(None)
            continue
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                [sign * c for c in objective],
                A_ub=a_ub or None,
                b_ub=b_ub or None,
                A_eq=a_eq,
                b_eq=b_eq,
                bounds=bounds,
                method="highs",
            )
            assert result.status == 0, result.message
            ends.append(sign * float(result.fun))
        found.append((ends[0], ends[1]))
    return found


def pinned_groups(
    hidden: Sequence[Mapping[str, Slice]],
    weights: Mapping[str, float] | None = None,
    *,
    of_csat: bool = False,
) -> set[int]:
    """The hidden groups (by position) whose value the published figures determine."""
    return {
        g
        for g, found in enumerate(feasible_ranges(hidden, weights, of_csat=of_csat))
        if found is not None and found[1] - found[0] < 1e-6
    }
