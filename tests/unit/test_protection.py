"""Small-group suppression: the rule, and a linear-programming attacker that solves every
figure a report publishes together and must find each hidden value undetermined."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from survey.reporting.protection import bounded_figures, hidden_scores, pinned
from survey.reporting.report import figures
from survey.reporting.stats import suppressed_groups
from survey.reporting.weighted import RateSums, weighted_overall

MIN = 5
RATES = ("1", "0.5", "0.25")
Answers = list[tuple[int, str]]  # (overall, the rate that decided the case)


def _row(answers: Answers) -> dict[str, Any]:
    scores = [y for y, _ in answers]
    return {
        "responses": len(scores),
        "sent": len(scores),
        "overall_sum": sum(scores),
        "overall_sq": sum(y * y for y in scores),
        "csat_yes": sum(1 for y in scores if y >= 4),
    }


def _by_rate(answers: Answers) -> dict[str, RateSums]:
    sums: dict[str, RateSums] = {}
    for y, rate in answers:
        part = sums.setdefault(rate, RateSums(0, 0.0, 0.0, 0))
        part.n += 1
        part.total += y
        part.total_sq += y * y
        part.csat += y >= 4
    return sums


def _decide(groups: list[Answers], min_size: int = MIN) -> tuple[set[int], bool]:
    return hidden_scores(
        [len(g) for g in groups],
        [bounded_figures(_row(g), _by_rate(g)) for g in groups],
        min_size,
    )


def _publish(groups: list[Answers], hidden: set[int], total_hidden: bool) -> dict[str, Any]:
    """What a report gives: per group and total, the figures and the weighted figures."""

    def one(answers: Answers, suppressed: bool) -> dict[str, Any]:
        return {
            **figures(_row(answers), suppressed=suppressed),
            "weighted": {"overall": weighted_overall(_by_rate(answers), suppressed=suppressed)},
        }

    everything = [a for g in groups for a in g]
    return {
        "groups": [one(g, i in hidden) for i, g in enumerate(groups)],
        "total": one(everything, total_hidden),
    }


def _weight(rate: str) -> float:
    return float(1 / Fraction(rate))


def _equations(
    groups: list[Answers], report: dict[str, Any], cells: list[tuple[int, str, int]]
) -> tuple[list[Any], list[float]]:
    """The hidden cells' combined sums the total minus the visible groups gives away."""
    equal: list[Any] = []
    equal_b: list[float] = []
    total = report["total"]
    if total["overall"]["mean"] is None:
        return equal, equal_b
    visible = [
        (g, report["groups"][i])
        for i, g in enumerate(groups)
        if report["groups"][i]["overall"]["mean"] is not None
    ]
    sum_w = sum(_weight(r) for g in groups for _, r in g)
    knowns = {
        (0, False): total["overall"]["mean"] * total["responses"],
        (1, False): total["overall"]["csat"] * total["responses"],
        (0, True): total["weighted"]["overall"]["mean"] * sum_w,
        (1, True): total["weighted"]["overall"]["csat"] * sum_w,
    }
    for g, published in visible:
        n, w = len(g), sum(_weight(r) for _, r in g)
        knowns[(0, False)] -= published["overall"]["mean"] * n
        knowns[(1, False)] -= published["overall"]["csat"] * n
        knowns[(0, True)] -= published["weighted"]["overall"]["mean"] * w
        knowns[(1, True)] -= published["weighted"]["overall"]["csat"] * w
    for (offset, weighted), value in knowns.items():
        row = np.zeros(2 * len(cells))
        for k, (_, rate, _) in enumerate(cells):
            row[2 * k + offset] = _weight(rate) if weighted else 1.0
        equal.append(row)
        equal_b.append(value)
    return equal, equal_b


def _ranges(groups: list[Answers], report: dict[str, Any]) -> list[tuple[str, float, float]]:
    """Each hidden group's Σy and CSAT count, minimised and maximised over everything the report
    publishes: n per group (and, to be safe, per rate), the visible groups' and the total's
    unweighted and weighted means and CSAT shares, every answer in 1..5."""
    cells = [
        (i, rate, n)
        for i, g in enumerate(groups)
        if report["groups"][i]["overall"]["mean"] is None
        for rate, n in sorted({r: sum(1 for _, s in g if s == r) for _, r in g}.items())
    ]
    if not cells:
        return []
    size = 2 * len(cells)  # per cell: Σy, then the count of 4-5
    bounds = []
    upper, upper_b = [], []
    for k, (_, _, n) in enumerate(cells):
        bounds += [(n, 5 * n), (0, n)]
        # Answers of 4-5 give at least 4 and the others at least 1, at most 3 (5 for 4-5).
        for coefficient, limit in (((-1, 3), -n), ((1, -2), 3 * n)):
            row = np.zeros(size)
            row[2 * k], row[2 * k + 1] = coefficient
            upper.append(row)
            upper_b.append(limit)
    equal, equal_b = _equations(groups, report, cells)
    found = []
    for group in sorted({i for i, _, _ in cells}):
        for offset, name in ((0, "sum"), (1, "csat")):
            objective = np.zeros(size)
            for k, (i, _, _) in enumerate(cells):
                if i == group:
                    objective[2 * k + offset] = 1.0
            extremes = []
            for sign in (1.0, -1.0):
                result = linprog(
                    sign * objective,
                    A_ub=np.array(upper),
                    b_ub=upper_b,
                    A_eq=np.array(equal) if equal else None,
                    b_eq=equal_b if equal else None,
                    bounds=bounds,
                    method="highs",
                )
                assert result.status == 0, result.message
                extremes.append(sign * result.fun)
            found.append((f"group {group} {name}", extremes[0], extremes[1]))
    return found


def _random_groups(rng: random.Random) -> list[Answers]:
    rates = rng.choice([("1",), ("1",), ("0.5", "1"), RATES])
    style = rng.choice(["uniform", "top", "bottom", "extremes", "mostly top"])
    groups = []
    for _ in range(rng.randint(1, 7)):
        n = rng.choice([0, 1, 2, 3, 4, rng.randint(5, 12), rng.randint(13, 60)])
        answers = []
        for _ in range(n):
            if style == "top":
                y = 5
            elif style == "bottom":
                y = 1
            elif style == "extremes":
                y = rng.choice([1, 5])
            elif style == "mostly top":
                y = 5 if rng.random() < 0.9 else rng.randint(1, 4)
            else:
                y = rng.randint(1, 5)
            answers.append((y, rng.choice(rates)))
        groups.append(answers)
    return groups


def test_no_hidden_value_is_determined_by_what_a_report_publishes() -> None:
    rng = random.Random(20261130)
    checked = 0
    for _ in range(250):
        groups = _random_groups(rng)
        hidden, total_hidden = _decide(groups)
        for name, low, high in _ranges(groups, _publish(groups, hidden, total_hidden)):
            assert high - low > 1e-3, (name, low, high, groups)
            checked += 1
    assert checked > 500  # the generator does produce hidden groups to check


def test_the_checker_finds_what_the_old_rule_gave_away() -> None:
    """Two small groups, every answer 1: hiding them alone leaves each pinned at n."""
    groups: list[Answers] = [[(1, "1")] * 2, [(1, "1")] * 3, [(4, "1"), (5, "1")] * 5]
    hidden = suppressed_groups({i: len(g) for i, g in enumerate(groups)}, MIN)
    ranges = _ranges(groups, _publish(groups, hidden, False))
    assert ranges and all(high - low < 1e-6 for _, low, high in ranges)
    # The rule hides the third group too, or the total: the sums are no longer pinned.
    assert _decide(groups)[0] == {0, 1, 2}


def test_two_rates_pin_two_hidden_groups_through_the_weighted_sum() -> None:
    """Σy and Σwy are two equations over two groups decided at different rates."""
    groups: list[Answers] = [
        [(3, "1"), (4, "1")],
        [(2, "0.5"), (5, "0.5"), (3, "0.5")],
        [(4, "1"), (2, "0.5")] * 4,
    ]
    hidden = suppressed_groups({i: len(g) for i, g in enumerate(groups)}, MIN)
    assert hidden == {0, 1}
    assert any(
        high - low < 1e-6 for _, low, high in _ranges(groups, _publish(groups, hidden, False))
    )
    hidden, total_hidden = _decide(groups)
    assert hidden == {0, 1, 2} and not total_hidden


def _figure(value: int, n: int) -> dict[str, tuple[float, float, float]]:
    return {"overall": (value, n, 5 * n), "csat": (0, 0, 0)}


def test_hidden_sums_at_a_bound_are_pinned_strictly_inside_they_are_not() -> None:
    assert pinned([_figure(2, 2), _figure(3, 3)])  # all answered 1
    assert pinned([_figure(10, 2), _figure(15, 3)])  # all answered 5
    assert not pinned([_figure(3, 2), _figure(3, 3)])
    assert pinned([_figure(3, 2)])  # one hidden group alone: the subtraction gives it
    assert not pinned([_figure(0, 0)])  # nothing answered, nothing to give away


def test_a_group_without_answers_neither_causes_nor_serves_as_a_complement() -> None:
    groups: list[Answers] = [[(3, "1")] * 13, []]
    assert _decide(groups) == ({1}, False)
    groups = [[(3, "1")] * 13, [], [(2, "1"), (4, "1")]]
    assert _decide(groups) == ({0, 1, 2}, False)


def test_the_total_is_hidden_when_no_group_is_left_to_add() -> None:
    groups: list[Answers] = [[(5, "1")] * 3, [(5, "1")] * 9]
    assert _decide(groups) == ({0, 1}, True)
    assert _decide([[(2, "1")] * 3]) == ({0}, True)  # fewer than the minimum in all


answer = st.tuples(st.integers(min_value=1, max_value=5), st.sampled_from(RATES))
some_groups = st.lists(
    st.one_of(
        st.lists(answer, max_size=4),
        st.lists(answer, min_size=5, max_size=30),
        st.lists(st.tuples(st.just(5), st.just("1")), max_size=8),
    ),
    min_size=1,
    max_size=8,
)


@given(some_groups)
def test_the_rule_hides_small_groups_and_complements_smallest_first(
    groups: list[Answers],
) -> None:
    hidden, total_hidden = _decide(groups)
    sizes = [len(g) for g in groups]
    assert {i for i, n in enumerate(sizes) if n < MIN} <= hidden
    complements = [i for i in hidden if sizes[i] >= MIN]
    visible = [i for i in range(len(groups)) if i not in hidden]
    for added in complements:
        assert all((sizes[i], i) > (sizes[added], added) for i in visible)
    figures_ = [bounded_figures(_row(groups[i]), _by_rate(groups[i])) for i in sorted(hidden)]
    if total_hidden:
        assert sum(sizes) < MIN or all(sizes[i] == 0 for i in visible)
    else:
        assert not pinned(figures_)
    assert _decide(groups) == (hidden, total_hidden)


@given(some_groups)
def test_a_report_with_protection_leaves_every_hidden_value_a_range(groups: list[Answers]) -> None:
    hidden, total_hidden = _decide(groups)
    for name, low, high in _ranges(groups, _publish(groups, hidden, total_hidden)):
        assert high - low > 1e-3, name
