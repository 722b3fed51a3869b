"""Settings: validated once, named errors, production checks, development secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.config import ConfigError, load_settings
from survey.logs import redact
from survey.policy_fields import QuietHours

SECRETS = {"secret_key": "s" * 32, "sampling_secret": "t" * 32, "identifier_key": "u" * 32}


def test_defaults_follow_the_spec(tmp_path: Path) -> None:
    settings = load_settings({"instance_path": tmp_path, **SECRETS})
    assert settings.sampling_rate == "0.2"
    assert settings.send_delay_minutes == 60
    assert settings.frequency_cap_days == 30
    assert settings.max_contact_age_hours == 72
    assert settings.expiry_days == 7
    assert settings.min_group_size == 5
    assert settings.reminder_after_hours == 48
    assert (settings.sms_backend, settings.email_backend) == ("outbox", "outbox")
    assert settings.default_language == "sv"
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'survey.db'}"


def test_environment_variables_are_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SURVEY_SAMPLING_RATE", "0.35")
    monkeypatch.setenv("SURVEY_QUIET_HOURS", "")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+46700000000")
    settings = load_settings({"instance_path": tmp_path, **SECRETS})
    assert settings.sampling_rate == "0.35"
    assert settings.quiet is None
    assert settings.twilio_from_number == "+46700000000"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SURVEY_SAMPLING_RATE", "1.5", "between 0 and 1"),
        ("SURVEY_SAMPLING_RATE", "a fifth", "between 0 and 1"),
        ("SURVEY_SAMPLING_RATE", "nan", "between 0 and 1"),
        ("SURVEY_QUIET_HOURS", "evening", "HH:MM-HH:MM"),
        ("SURVEY_EXPIRY_DAYS", "0", "1 or more"),
        ("SURVEY_FREQUENCY_CAP_DAYS", "-1", "0 or more"),
        ("SURVEY_SMS_BACKEND", "carrier-pigeon", "twilio"),
        ("SURVEY_BASE_URL", "survey.example.se", "absolute http(s) URL"),
        ("SURVEY_DEFAULT_LANGUAGE", "de", "'sv' or 'en'"),
    ],
)
def test_an_invalid_value_names_the_variable(tmp_path, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings({"instance_path": tmp_path, **SECRETS})
    assert variable in str(raised.value)
    assert message in str(raised.value)


def test_production_refuses_missing_secrets_and_the_outbox(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"instance_path": tmp_path, "env": "production"})
    text = str(raised.value)
    for name in (
        "SURVEY_SECRET_KEY",
        "SURVEY_SAMPLING_SECRET",
        "SURVEY_IDENTIFIER_KEY",
        "SURVEY_SMS_BACKEND",
    ):
        assert name in text
    assert not (tmp_path / "secrets.toml").exists()


PRODUCTION = {
    "env": "production",
    "sms_backend": "twilio",
    "email_backend": "smtp",
    "smtp_url": "smtp://h:25",
    "twilio_account_sid": "AC1",
    "twilio_auth_token": "t",
    "twilio_from_number": "+46700000000",
    "controller_name": "Exempelbolaget AB",
    "controller_contact": "dataskydd@example.se",
}


def test_production_refuses_a_default_secret(tmp_path: Path) -> None:
    values = {
        **PRODUCTION,
        "sampling_secret": "t" * 43,
        "identifier_key": "u" * 43,
        "secret_key": "changethis",
        "instance_path": tmp_path,
    }
    with pytest.raises(ConfigError, match="SURVEY_SECRET_KEY"):
        load_settings(values)
    values["secret_key"] = "x" * 43
    assert load_settings(values).env == "production"


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"sampling_secret": "s" * 42}, "SURVEY_SAMPLING_SECRET has 42 characters"),
        ({"identifier_key": "k" * 10}, "SURVEY_IDENTIFIER_KEY has 10 characters"),
        (
            {"sampling_secret": "same" * 11, "identifier_key": "same" * 11},
            "SURVEY_IDENTIFIER_KEY must differ from SURVEY_SAMPLING_SECRET",
        ),
        (
            {"secret_key": "same" * 11, "identifier_key": "same" * 11},
            "SURVEY_IDENTIFIER_KEY must differ from SURVEY_SECRET_KEY",
        ),
    ],
)
def test_production_secrets_are_long_and_pairwise_different(
    tmp_path: Path, secrets: dict[str, str], message: str
) -> None:
    strong = {"secret_key": "a" * 43, "sampling_secret": "b" * 43, "identifier_key": "c" * 43}
    values = {**PRODUCTION, **strong, "instance_path": tmp_path}
    assert load_settings(values).env == "production"
    with pytest.raises(ConfigError, match=message):
        load_settings({**values, **secrets})


def test_production_names_the_controller_when_the_built_in_notice_is_used(
    tmp_path: Path,
) -> None:
    strong = {"secret_key": "a" * 43, "sampling_secret": "b" * 43, "identifier_key": "c" * 43}
    values = {**PRODUCTION, **strong, "instance_path": tmp_path}
    for missing in ("controller_name", "controller_contact"):
        with pytest.raises(ConfigError) as raised:
            load_settings({**values, missing: " "})
        text = str(raised.value)
        assert "SURVEY_CONTROLLER_NAME and SURVEY_CONTROLLER_CONTACT are required" in text
        assert "SURVEY_PRIVACY_URL" in text
    # The organisation's own notice names them instead.
    own_notice = {**values, "controller_name": "", "privacy_url": "https://example.se/privacy"}
    assert load_settings(own_notice).controller_name == ""


def test_development_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="generated SURVEY_SECRET_KEY"):
        first = load_settings({"instance_path": tmp_path})
    second = load_settings({"instance_path": tmp_path})
    assert first.secret_key and first.secret_key == second.secret_key
    assert first.sampling_secret == second.sampling_secret != first.identifier_key
    assert (tmp_path / "secrets.toml").stat().st_mode & 0o077 == 0


def test_quiet_hours_wrap_midnight() -> None:
    quiet = QuietHours.parse("20:00-09:00")
    assert quiet is not None
    from datetime import time

    assert quiet.contains(time(22, 0)) and quiet.contains(time(8, 59))
    assert not quiet.contains(time(9, 0)) and not quiet.contains(time(19, 59))


def test_tokens_are_redacted_from_log_lines() -> None:
    line = '127.0.0.1 - "GET /s/AAAAAAAAMDmE7NJS8bDdeaZvvOSCPiw5?lang=en HTTP/1.1" 200'
    assert "AAAAAAAAMDmE" not in redact(line)
    assert "/s/[redacted]" in redact(line)
    assert redact("POST /o/abc_-123 ") == "POST /o/[redacted] "


def test_the_environment_wins_over_the_toml_file(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "survey.toml"
    config.write_text('SURVEY_SAMPLING_RATE = "0.5"\nSURVEY_EXPIRY_DAYS = 3\n', encoding="utf-8")
    monkeypatch.setenv("SURVEY_CONFIG_FILE", str(config))
    monkeypatch.setenv("SURVEY_SAMPLING_RATE", "0.1")
    settings = load_settings({"instance_path": tmp_path, **SECRETS})
    assert settings.sampling_rate == "0.1"  # the environment
    assert settings.expiry_days == 3  # the file adds what the environment does not set
