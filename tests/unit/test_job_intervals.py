"""SURVEY_JOB_INTERVALS: interval jobs run more or less often than the job table says."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs import JOBS
from survey.config import ConfigError, load_settings
from survey.scheduler import job_intervals

SECRETS = {"secret_key": "s" * 32, "sampling_secret": "t" * 32, "identifier_key": "u" * 32}


def test_the_variable_sets_the_named_jobs_intervals_and_leaves_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_JOB_INTERVALS", "sample=2, dispatch = 1")
    settings = load_settings({"instance_path": tmp_path, **SECRETS})
    assert settings.job_seconds == {"sample": 2, "dispatch": 1}
    intervals = job_intervals(settings.job_seconds)
    table = {job.name: job.seconds for job in JOBS if job.cron is None}
    assert intervals == {**table, "sample": 2, "dispatch": 1}
    assert "purge" not in intervals  # a cron job keeps its time of day


@pytest.mark.parametrize("value", ["sample", "sample=0", "sample=fast", "=5"])
def test_a_malformed_pair_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SURVEY_JOB_INTERVALS", value)
    with pytest.raises(ConfigError, match=r"SURVEY_JOB_INTERVALS.*name=seconds"):
        load_settings({"instance_path": tmp_path, **SECRETS})


@pytest.mark.parametrize("name", ["purge", "sampel"])
def test_a_name_that_is_no_interval_job_stops_the_scheduler_naming_it(name: str) -> None:
    with pytest.raises(SystemExit, match=f"SURVEY_JOB_INTERVALS: {name} is not an interval job"):
        job_intervals({name: 5})
