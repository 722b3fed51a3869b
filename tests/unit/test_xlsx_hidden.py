"""Which workbook cells say "hidden": a figure with answers whose value the report withholds."""

from __future__ import annotations

from typing import Any

from survey.reporting.xlsx import OVERALL_COLUMNS, hidden_columns


def _group(**changes: Any) -> dict[str, Any]:
    group: dict[str, Any] = {
        "responses": 9,
        "overall": {"mean": 3.4},
        "contact_experience": {
            "mean": 3.1,
            "items": {"manner": {"n": 4, "mean": 3.0}, "clarity": {"n": 0, "mean": None}},
        },
        "case_handling": {"mean": 3.5, "items": {"efficiency": {"n": 5, "mean": 3.5}}},
        "resolution": {"n": 6, "yes": 0.5, "partly": 0.2, "no": 0.3},
        "fcr": {"n": 6, "share": 0.5},
    }
    group.update(changes)
    return group


def test_a_visible_group_hides_nothing_and_an_item_without_answers_is_no_data() -> None:
    assert hidden_columns(_group()) == set()


def test_a_too_small_group_hides_every_score() -> None:
    small = _group(
        responses=3,
        overall={"mean": None},
        contact_experience={"mean": None, "items": {"manner": {"n": 2, "mean": None}}},
        fcr={"n": 1, "share": None},
    )
    assert set(OVERALL_COLUMNS) | {"manner_mean", "contact_experience_mean", "fcr_share"} <= (
        hidden_columns(small)
    )


def test_one_figure_hidden_to_protect_another_group_is_the_only_hidden_cell() -> None:
    group = _group(
        contact_experience={
            "mean": None,
            "items": {"manner": {"n": 4, "mean": None}, "clarity": {"n": 0, "mean": None}},
        }
    )
    assert hidden_columns(group) == {"manner_mean", "contact_experience_mean"}
