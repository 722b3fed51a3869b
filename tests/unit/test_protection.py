"""Suppression protects and no more: solved as an attacker would, over random reports."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.reporting.protection import FCR, OVERALL, protect
from survey.reporting.weighted import RateSums
from tests.protection_lp import Slice, pinned_groups

MIN = 5
RATES = ("0.1", "0.5")
ITEM = "manner"  # one item stands for all: each is summed and protected the same way

# One answer: the deciding rate, the overall score, the item (None: not answered), the FCR.
answer = st.tuples(
    st.sampled_from(RATES),
    st.integers(1, 5),
    st.one_of(st.none(), st.integers(1, 5)),
    st.sampled_from([None, "yes", "no"]),
)
report = st.lists(st.lists(answer, max_size=9), min_size=1, max_size=7)


def _row(answers: list[tuple[str, int, int | None, str | None]]) -> dict[str, Any]:
    scores = [a[1] for a in answers]
    items = [a[2] for a in answers if a[2] is not None]
    fcr = [a[3] for a in answers if a[3] is not None]
    return {
        "responses": len(scores),
        "overall_sum": sum(scores),
        "overall_sq": sum(s * s for s in scores),
        "csat_yes": sum(1 for s in scores if s >= 4),
        "fcr_n": len(fcr),
        "fcr_yes": fcr.count("yes"),
        f"{ITEM}_n": len(items),
        f"{ITEM}_sum": sum(items),
    }


def _by_rate(answers: list[tuple[str, int, int | None, str | None]]) -> dict[str, RateSums]:
    sums: dict[str, RateSums] = {}
    for rate, score, _, _ in answers:
        part = sums.setdefault(rate, RateSums(0, 0.0, 0.0, 0))
        part.n += 1
        part.total += score
        part.total_sq += score * score
        part.csat += score >= 4
    return sums


def _slices(
    answers: list[tuple[str, int, int | None, str | None]], figure: str
) -> dict[str, Slice]:
    """What the report lets an attacker know of one group's figure, per slice."""
    found: dict[str, Slice] = {}
    if figure in ("overall", "csat"):
        for rate in RATES:
            s = [a[1] for a in answers if a[0] == rate]
            csat = sum(1 for v in s if v >= 4)
            found[rate] = Slice(len(s), sum(s), squares=sum(v * v for v in s), csat=csat)
    if figure == "fcr":
        fcr = [a[3] for a in answers if a[3] is not None]
        found["all"] = Slice(len(fcr), fcr.count("yes"), 0, 1)
    if figure == ITEM:
        items = [a[2] for a in answers if a[2] is not None]
        found["all"] = Slice(len(items), sum(items))
    return found


FAMILY = {"overall": OVERALL, "csat": OVERALL, "fcr": FCR, ITEM: ITEM}
WEIGHTS = {"0.1": 10.0, "0.5": 2.0}


def _attack(groups: list[list[Any]], figure: str, hidden: set[int]) -> set[int]:
    """The hidden groups whose figure (unweighted or weighted) is worked out."""
    order = sorted(hidden)
    slices = [_slices(groups[i], figure) for i in order]
    of_csat = figure == "csat"
    found = pinned_groups(slices, of_csat=of_csat)
    if figure in ("overall", "csat"):
        found |= pinned_groups(slices, WEIGHTS, of_csat=of_csat)
    return {order[g] for g in found}


def _answered(groups: list[list[Any]], figure: str) -> set[int]:
    return {i for i, g in enumerate(groups) if any(s.n for s in _slices(g, figure).values())}


@settings(max_examples=150, deadline=None)
@given(report)
def test_no_hidden_value_is_worked_out_unless_the_total_tells_it(groups: list[list[Any]]) -> None:
    protection = protect([_row(g) for g in groups], [_by_rate(g) for g in groups], MIN)
    if sum(len(g) for g in groups) < MIN:
        return  # the report hides the total's scores too
    for figure, family in FAMILY.items():
        hidden = protection.primary | {
            i for i, names in protection.figures.items() if family in names
        }
        worked_out = _attack(groups, figure, hidden & _answered(groups, figure))
        # Hiding every group with answers is the most any suppression of groups can do.
        inherent = _attack(groups, figure, _answered(groups, figure))
        assert worked_out <= inherent, (figure, hidden, worked_out)


def test_a_group_without_answers_neither_causes_nor_serves_as_a_complement() -> None:
    nobody: list[Any] = []
    four = [("0.5", 3, 3, "yes"), ("0.5", 4, 4, "no"), ("0.5", 5, 2, "yes"), ("0.5", 2, 5, "no")]
    groups = [nobody, [*four, ("0.5", 4, 4, "no")] * 3, [*four, ("0.5", 1, 1, "yes")] * 3]
    protection = protect([_row(g) for g in groups], [_by_rate(g) for g in groups], MIN)
    assert protection.primary == {0} and protection.figures == {}


def test_a_lone_small_group_hides_one_figure_of_one_other_group() -> None:
    small = [("0.5", 2, None, None), ("0.5", 5, None, None)]
    middle = [("0.5", s, None, None) for s in (1, 2, 3, 4, 5, 5)]
    big = [("0.5", s, None, None) for s in (1, 2, 3, 4, 5, 3, 4, 5, 5)]
    groups = [big, small, middle]
    protection = protect([_row(g) for g in groups], [_by_rate(g) for g in groups], MIN)
    assert protection.primary == {1}
    # The overall score of the smallest other group: nothing else (no item, no FCR answers).
    assert protection.figures == {2: {OVERALL}}
    assert _attack(groups, "overall", {1, 2}) == set()
    assert _attack(groups, "overall", {1}) == {1}


def test_a_complement_at_the_same_bound_does_not_protect_and_is_not_chosen() -> None:
    fives = [("0.5", 5, None, None)] * 2
    all_fives = [("0.5", 5, None, None)] * 6
    mixed = [("0.5", s, None, None) for s in (1, 5, 5, 5, 5, 5, 5)]
    groups = [fives, all_fives, mixed]
    protection = protect([_row(g) for g in groups], [_by_rate(g) for g in groups], MIN)
    # Hiding the smaller group of fives would leave the hidden sum at the top of the scale.
    assert protection.figures == {2: {OVERALL}}


def test_when_every_answer_is_the_same_nothing_is_hidden_in_vain() -> None:
    groups = [[("0.5", 4, None, None)] * n for n in (2, 6, 8)]
    protection = protect([_row(g) for g in groups], [_by_rate(g) for g in groups], MIN)
    assert protection.primary == {0} and protection.figures == {}


def test_answers_without_spread_given_away_by_the_interval_are_protected_through_csat() -> None:
    threes = [("0.5", 3, None, None)] * 2
    other = [("0.5", s, None, None) for s in (1, 2, 4, 5, 5, 5)]
    groups = [threes, threes, other, other + other]
    # The two small groups' combined sum (12 of 4 answers) lies inside the scale, but the
    # interval of the total publishes the sum of squares: no spread, so every answer is a 3.
    assert _attack(groups, "overall", {0, 1}) == {0, 1}
    protection = protect([_row(g) for g in groups], [_by_rate(g) for g in groups], MIN)
    assert protection.figures == {2: {OVERALL}}
    assert _attack(groups, "overall", {0, 1, 2}) == set()
