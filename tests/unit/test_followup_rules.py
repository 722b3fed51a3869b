"""A follow-up's due time counts working days (Monday to Friday) in Stockholm time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from survey.followups.rules import due_at
from survey.sampling.draw import STOCKHOLM


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def test_two_working_days_from_a_tuesday_is_the_thursday() -> None:
    assert due_at(_local(2026, 3, 10, 14, 5), 2) == _local(2026, 3, 12, 14, 5)


def test_two_working_days_from_a_thursday_skip_the_weekend() -> None:
    assert due_at(_local(2026, 3, 12, 9), 2) == _local(2026, 3, 16, 9)


def test_an_answer_on_a_saturday_counts_from_monday_morning() -> None:
    assert due_at(_local(2026, 3, 14, 22), 2) == _local(2026, 3, 18, 0)


def test_zero_working_days_is_due_at_once_on_a_weekday() -> None:
    assert due_at(_local(2026, 3, 10, 8), 0) == _local(2026, 3, 10, 8)


def test_every_rule_the_settings_can_name_exists_and_the_default_names_them_all() -> None:
    from typing import get_args

    from survey.config import DEFAULTS, Settings
    from survey.followups.rules import follow_up_rules

    annotation = Settings.model_fields["followup_rules"].annotation
    (allowed,) = get_args(annotation)
    assert set(get_args(allowed)) == set(follow_up_rules()) == set(DEFAULTS["followup_rules"])
    assert list(follow_up_rules(["comment"])) == ["comment"]


def test_an_unknown_rule_is_refused_by_name(tmp_path: Path) -> None:
    from survey.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="SURVEY_FOLLOWUP_RULES"):
        load_settings(
            {
                "instance_path": tmp_path,
                "secret_key": "s" * 43,
                "sampling_secret": "t" * 43,
                "identifier_key": "u" * 43,
                "followup_rules": ["low_overall", "angry"],
            }
        )
