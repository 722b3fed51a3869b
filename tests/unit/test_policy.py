"""Policy values and the timeline of versions, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from survey.config import ConfigError, load_settings
from survey.errors import Conflict
from survey.sampling.policy import (
    POLICY_KEYS,
    Policy,
    PolicyTimeline,
    is_complete,
    parse_value,
    policy_dict,
)
from survey.sampling.recorded import Drift

BASE = Policy(
    sampling_rate="0.2",
    send_delay_minutes=60,
    quiet_hours="20:00-09:00",
    frequency_cap_days=30,
    max_contact_age_hours=72,
    max_postpone_hours=72,
    expiry_days=7,
    reminder_after_hours=48,
)
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_timeline_gives_the_version_in_force_at_a_moment() -> None:
    timeline = PolicyTimeline(
        BASE,
        [(T0, {"rate": "0.5"}), (T0 + timedelta(days=1), {"rate": "0.5", "expiry_days": 3})],
    )
    assert timeline.at(T0 - timedelta(microseconds=1)) == BASE
    assert timeline.at(T0).rate == "0.5" and timeline.at(T0).expiry_days == 7
    later = timeline.at(T0 + timedelta(days=2))
    assert (later.rate, later.expiry_days, later.send_delay_minutes) == ("0.5", 3, 60)


def test_two_versions_at_the_same_moment_the_later_written_wins() -> None:
    timeline = PolicyTimeline(BASE, [(T0, {"rate": "0.5"}), (T0, {"rate": "0.6"})])
    assert timeline.at(T0).rate == "0.6"


def test_unknown_keys_in_a_stored_version_are_ignored() -> None:
    assert PolicyTimeline(BASE, [(T0, {"retired_key": 1})]).at(T0) == BASE


def test_every_policy_key_has_a_parser() -> None:
    assert set(POLICY_KEYS) == {
        "rate",
        "send_delay_minutes",
        "quiet_hours",
        "frequency_cap_days",
        "max_contact_age_hours",
        "max_postpone_hours",
        "expiry_days",
        "reminder_after_hours",
    }
    samples = {"rate": "0.25", "quiet_hours": "21:00-08:00"}
    for key in POLICY_KEYS:
        assert parse_value(key, samples.get(key, "5")) == (samples.get(key) or 5)


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [("rate", " 0.10 ", "0.10"), ("quiet_hours", "", ""), ("frequency_cap_days", "0", 0)],
)
def test_values_are_stored_normalised(key: str, value: str, stored: object) -> None:
    assert parse_value(key, value) == stored


@pytest.mark.parametrize(
    ("key", "value"),
    [("rate", "-0.1"), ("rate", "1.0001"), ("expiry_days", "0"), ("max_postpone_hours", "x")],
)
def test_out_of_range_values_are_refused(key: str, value: str) -> None:
    with pytest.raises(Conflict, match=key):
        parse_value(key, value)


@pytest.mark.parametrize(
    ("key", "variable", "value"),
    [
        ("rate", "SURVEY_SAMPLING_RATE", "1.5"),
        ("rate", "SURVEY_SAMPLING_RATE", "a fifth"),
        ("expiry_days", "SURVEY_EXPIRY_DAYS", "0"),
        ("reminder_after_hours", "SURVEY_REMINDER_AFTER_HOURS", "-1"),
        ("quiet_hours", "SURVEY_QUIET_HOURS", "evening"),
    ],
)
def test_a_change_is_refused_for_the_reason_the_environment_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, variable: str, value: str
) -> None:
    with pytest.raises(Conflict) as refused:
        parse_value(key, value)
    monkeypatch.setenv(variable, value)
    secrets = {"secret_key": "s" * 32, "sampling_secret": "t" * 32, "identifier_key": "u" * 32}
    with pytest.raises(ConfigError) as invalid:
        load_settings({"instance_path": tmp_path, **secrets})
    reason = str(refused.value).removeprefix(f"invalid value for {key}: ")
    assert f"{variable}: {reason} (got {value!r})" in str(invalid.value)


def test_between_gives_every_policy_in_force_during_a_period() -> None:
    timeline = PolicyTimeline(
        BASE,
        [(T0, {"expiry_days": 3}), (T0 + timedelta(days=10), {"expiry_days": 14})],
    )
    during = timeline.between(T0 - timedelta(days=1), T0 + timedelta(days=10))
    assert [p.expiry_days for p in during] == [7, 3]
    assert [p.expiry_days for p in timeline.between(T0, T0 + timedelta(days=11))] == [3, 14]
    assert [p.expiry_days for p in timeline.between(T0 + timedelta(days=20), T0)] == [14]


def test_a_version_is_complete_when_it_names_every_key() -> None:
    assert is_complete(policy_dict(BASE))
    assert not is_complete({"rate": "0.5"})


@pytest.mark.parametrize(
    ("key", "environment", "stored", "variable", "command"),
    [
        ("rate", "0.9", "0.2", "SURVEY_SAMPLING_RATE=0.9", "survey policy set rate 0.9"),
        ("quiet_hours", "", "20:00-09:00", "SURVEY_QUIET_HOURS=", "set quiet_hours ''"),
        ("expiry_days", 3, 7, "SURVEY_EXPIRY_DAYS=3", "survey policy set expiry_days 3"),
    ],
)
def test_a_drift_names_the_variable_both_values_and_the_command(
    key: str, environment: object, stored: object, variable: str, command: str
) -> None:
    message = Drift(key, environment, stored).message()
    assert variable in message and f"{key} {stored}" in message
    assert f"{command} --reason TEXT" in message and "stays in force" in message
