"""Matrix sampling's design (survey/matrix.py): balanced, both parts in every survey, proven
at start, and each survey's subset chosen by a keyed hash anyone with the key recomputes."""

from __future__ import annotations

import hmac
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.config import ConfigError
from survey.matrix import build_design, chooser, design_for, feasible_sizes, subsets
from survey.questionnaire import load_questionnaires, parse_asked

DEFAULT = load_questionnaires()["default"]
PARTS = {q.id: q.part for q in DEFAULT.questions}


def test_the_default_design_asks_every_b_and_c_item_equally_often() -> None:
    design = build_design(DEFAULT, 4)
    counts = Counter(item for subset in design.subsets for item in subset)
    assert set(counts) == {q.id for q in DEFAULT.questions if q.part in ("b", "c")}
    assert set(counts.values()) == {4}  # 11 subsets of 4: each item in 4 of them
    assert all(len(subset) == 4 for subset in design.subsets)


def test_every_survey_of_the_design_covers_a_b_and_c_and_asks_the_comment() -> None:
    for subset in build_design(DEFAULT, 4).subsets:
        asked = build_design(DEFAULT, 4).asked(subset)
        assert asked[0] == "overall" and asked[-1] == "comment"
        assert {PARTS[qid] for qid in asked} == {"a", "b", "c", None}


@given(
    n_b=st.integers(min_value=1, max_value=9),
    n_c=st.integers(min_value=1, max_value=9),
    k=st.integers(min_value=2, max_value=17),
)
def test_a_design_that_exists_is_balanced_with_both_parts_in_each_subset(
    n_b: int, n_c: int, k: int
) -> None:
    b_items = [f"b{i}" for i in range(n_b)]
    c_items = [f"c{i}" for i in range(n_c)]
    n = n_b + n_c
    # Averaged over the surveys, k_b = k * n_b / n: a balanced design needs it at least 1 and
    # k_c = k * n_c / n at least 1 (else some survey lacks a part), and k items to choose from.
    possible = k * n_b >= n and k * n_c >= n and k <= n
    try:
        block = subsets(b_items, c_items, k)
    except ValueError:
        assert not possible
        return
    assert possible
    counts = Counter(item for subset in block for item in subset)
    assert len(set(counts.values())) == 1 and len(counts) == n_b + n_c
    for subset in block:
        assert len(set(subset)) == k
        assert any(i.startswith("b") for i in subset) and any(i.startswith("c") for i in subset)


def test_two_items_per_survey_cannot_be_balanced_and_the_start_says_which_sizes_can(
    tmp_path: Path,
) -> None:
    # 6 b-items and 5 c-items: one of each per survey asks a c-item more often than a b-item.
    assert feasible_sizes(DEFAULT) == list(range(3, 11))
    with pytest.raises(ConfigError, match=r"SURVEY_ITEMS_PER_SURVEY=2.*choose one of 3, 4"):
        design_for(tmp_path, 2)


def test_more_items_than_the_questionnaire_has_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SURVEY_ITEMS_PER_SURVEY=12.*at most 11"):
        design_for(tmp_path, 12)


def test_all_asks_every_item_in_one_subset(tmp_path: Path) -> None:
    design = design_for(tmp_path, "all")
    assert design.subsets == (tuple(DEFAULT.asked_items.split(",")),)


def test_a_questionnaire_with_fewer_items_than_asked_asks_them_all() -> None:
    short = load_questionnaires()["short"]
    assert build_design(short, 4).subsets == (("manner", "resolution"),)


def test_the_subset_is_the_keyed_hash_of_the_case_reference_and_recomputable() -> None:
    design = build_design(DEFAULT, 4)
    choose = chooser("the-sampling-secret", design)
    for ref in ("C-1", "C-2", "ÄRENDE-3"):
        mac = hmac.digest(b"the-sampling-secret", b"items:" + ref.encode(), "sha256")
        expected = design.subsets[int.from_bytes(mac[:8], "big") % len(design.subsets)]
        assert choose(ref) == ",".join(expected)
        assert parse_asked(choose(ref)) == frozenset(expected)


def test_over_ten_thousand_cases_each_item_is_asked_within_two_points_of_its_share() -> None:
    design = build_design(DEFAULT, 4)
    choose = chooser("another-secret", design)
    asked = Counter(item for n in range(10_000) for item in choose(f"K-{n}").split(","))
    for item in design.rotating:
        assert abs(asked[item] / 10_000 - 4 / 11) < 0.02, item


def test_the_asking_questionnaire_reads_only_the_asked_items() -> None:
    asking = DEFAULT.asking(frozenset({"manner", "fcr"}))
    assert [q.id for q in asking.questions] == ["overall", "manner", "fcr", "comment"]
    assert asking.asked_items == "manner,fcr"
    assert DEFAULT.asking(None) is DEFAULT
