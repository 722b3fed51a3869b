"""Typed settings from the environment, validated once at start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import (
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from survey.config_files import SECRET_ENV_NAMES, dev_secrets, toml_values
from survey.policy_fields import PolicySettings, at_least
from survey.questionnaire_rules import RulesSetting

# 32 random bytes in base64url: the length of secrets.token_urlsafe(32).
MIN_SECRET_LENGTH = 43
# Values that read as placeholders; production refuses them like a missing secret.
DEFAULT_SECRET_VALUES = {"", "changethis", "change-me", "changeme", "secret", "dev", "development"}
SUPPORTED_LANGUAGES = ("sv", "en")


class ConfigError(Exception):
    """The configuration is invalid; the message names the variable and what is allowed."""


class Settings(PolicySettings):
    model_config = ConfigDict(extra="forbid", frozen=True)

    env: Literal["development", "production", "test"]
    instance_path: Path
    database_url: str
    secret_key: str
    sampling_secret: str
    previous_sampling_secrets: list[str]
    identifier_key: str
    min_group_size: Annotated[int, at_least(1)]
    # Matrix sampling: the A1.2 b and c items each survey asks (survey/matrix.py), or all.
    items_per_survey: int | Literal["all"]
    # off: no agent-level figure anywhere (an employee-monitoring agreement may exclude them).
    agent_reporting: bool
    base_url: str
    privacy_url: str
    organisation_name: str
    # Named by the built-in privacy notice (GDPR Art. 13): who is responsible, how to reach them.
    controller_name: str
    controller_contact: str
    dpo_contact: str
    sms_backend: Literal["outbox", "twilio"]
    # reply: the SMS asks the overall question and takes a digit replied to it.
    sms_mode: Literal["link", "reply"]
    email_backend: Literal["outbox", "smtp"]
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_messaging_service_sid: str
    twilio_from_number: str
    twilio_base_url: str
    smtp_url: str
    mail_from: str
    default_language: Literal["sv", "en"]
    ratelimit_storage_url: str
    ratelimit_public: str
    # Proxies in front that append to X-Forwarded-For and set X-Forwarded-Proto; 0 reads neither.
    trusted_proxies: Annotated[int, at_least(0)]
    sms_rate_per_second: float
    email_rate_per_second: float
    dispatch_concurrency: Annotated[int, at_least(1)]
    report_recipients: list[str]
    followup_due_working_days: Annotated[int, at_least(0)]
    # The rules that raise a follow-up of a consented answer (survey.followups.rules).
    followup_rules: list[Literal["low_overall", "not_resolved", "not_first_contact", "comment"]]
    retention_days: Annotated[int, at_least(0)]
    api_max_batch: Annotated[int, at_least(1)]
    # Report computations at once per process; beyond it 503 with Retry-After.
    report_concurrency: Annotated[int, at_least(1)]
    # On PostgreSQL, a report statement running longer is cancelled (503).
    report_timeout_seconds: Annotated[int, at_least(1)]
    api_max_body_bytes: int
    # Bearer token of /metrics; in production /metrics is off without one.
    metrics_token: str
    # `name=seconds` for interval jobs run more or less often than the job table says.
    job_intervals: list[str]
    questionnaire_rules: RulesSetting

    @field_validator("job_intervals")
    @classmethod
    def _job_intervals(cls, value: list[str]) -> list[str]:
        for item in value:
            name, _, seconds = item.partition("=")
            if not name.strip() or not seconds.strip().isdigit() or int(seconds) < 1:
                raise ValueError(
                    f"expected name=seconds pairs such as sample=5,dispatch=2, not {item!r}"
                )
        return [item.replace(" ", "") for item in value]

    @property
    def job_seconds(self) -> dict[str, int]:
        """The interval of each job named in SURVEY_JOB_INTERVALS."""
        pairs = (item.split("=") for item in self.job_intervals)
        return {name: int(seconds) for name, seconds in pairs}

    @field_validator("ratelimit_public")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError("expected limits such as 30/minute;300/hour") from exc
        return value.strip()

    @field_validator("items_per_survey")
    @classmethod
    def _items_per_survey(cls, value: int | str) -> int | str:
        if value != "all" and int(value) < 2:
            raise ValueError("must be a whole number, 2 or more, or all")
        return value

    @field_validator("sms_rate_per_second", "email_rate_per_second")
    @classmethod
    def _positive_rate(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be more than 0 (messages per second)")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL, e.g. https://survey.example.se")
        return value.rstrip("/")

    def _secret_problems(self) -> list[str]:
        """Each secret long enough to guess at no better than 256 bits, and each different:
        an auditor told the sampling secret must learn nothing of the others."""
        problems = []
        seen: dict[str, str] = {}
        for field, name in SECRET_ENV_NAMES.items():
            value = getattr(self, field)
            if value.strip().lower() in DEFAULT_SECRET_VALUES:
                problems.append(f"{name} must be set to a secret value in production")
            elif len(value) < MIN_SECRET_LENGTH:
                problems.append(
                    f"{name} has {len(value)} characters; production needs at least "
                    f'{MIN_SECRET_LENGTH} (e.g. python -c "import secrets; '
                    f'print(secrets.token_urlsafe(32))")'
                )
            elif value in seen:
                problems.append(f"{name} must differ from {seen[value]}")
            seen.setdefault(value, name)
        return problems

    @model_validator(mode="after")
    def _production(self) -> Settings:
        if self.env != "production":
            return self
        problems = self._secret_problems()
        if self.metrics_token and len(self.metrics_token) < MIN_SECRET_LENGTH:
            problems.append(
                f"SURVEY_METRICS_TOKEN has {len(self.metrics_token)} characters; production "
                f"needs at least {MIN_SECRET_LENGTH} (or leave it empty: /metrics is then off)"
            )
        elif self.metrics_token in (self.secret_key, self.sampling_secret, self.identifier_key):
            problems.append("SURVEY_METRICS_TOKEN must differ from the other secrets")
        if self.sms_backend == "outbox" or self.email_backend == "outbox":
            problems.append(
                "SURVEY_SMS_BACKEND and SURVEY_EMAIL_BACKEND must be twilio and smtp in "
                "production (the outbox would show staff who was sampled)"
            )
        if self.sms_backend == "twilio" and not (
            self.twilio_account_sid and self.twilio_auth_token
        ):
            problems.append("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required")
        if self.sms_backend == "twilio" and not (
            self.twilio_messaging_service_sid or self.twilio_from_number
        ):
            problems.append("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER is required")
        if self.email_backend == "smtp" and not self.smtp_url:
            problems.append("SURVEY_SMTP_URL is required with SURVEY_EMAIL_BACKEND=smtp")
        if not self.privacy_url and not (
            self.controller_name.strip() and self.controller_contact.strip()
        ):
            problems.append(
                "SURVEY_CONTROLLER_NAME and SURVEY_CONTROLLER_CONTACT are required in production "
                "when the built-in privacy notice is used (SURVEY_PRIVACY_URL empty): the notice "
                "must name the controller and how to reach it (GDPR Art. 13)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def metrics_enabled(self) -> bool:
        """/metrics answers outside production, and in production only behind its token."""
        return self.env != "production" or bool(self.metrics_token)

    @property
    def privacy_notice_url(self) -> str:
        """The privacy notice every message and page links to: the organisation's, or ours."""
        return self.privacy_url or f"{self.base_url}/privacy"


# The policy fields' defaults are in PolicySettings.
DEFAULTS: dict[str, Any] = {
    "env": "development",
    "min_group_size": 5,
    "items_per_survey": 4,
    "agent_reporting": True,
    "base_url": "http://127.0.0.1:5000",
    "privacy_url": "",
    "organisation_name": "Kundservice",
    "controller_name": "",
    "controller_contact": "",
    "dpo_contact": "",
    "sms_backend": "outbox",
    "sms_mode": "link",
    "email_backend": "outbox",
    "twilio_account_sid": "",
    "twilio_auth_token": "",
    "twilio_messaging_service_sid": "",
    "twilio_from_number": "",
    "twilio_base_url": "https://api.twilio.com",
    "smtp_url": "",
    "mail_from": "Kundservice <no-reply@example.invalid>",
    "default_language": "sv",
    "ratelimit_storage_url": "memory://",
    # The survey and opt-out pages: per link for a survey's own link, per client address for
    # links that are none of ours (token guessing); a benchmark raises it.
    "ratelimit_public": "60/minute;1000/hour",
    "trusted_proxies": 0,
    "sms_rate_per_second": 1.0,
    "email_rate_per_second": 10.0,
    "dispatch_concurrency": 8,
    "report_recipients": [],
    "followup_due_working_days": 2,
    "followup_rules": ["low_overall", "not_resolved", "not_first_contact", "comment"],
    "retention_days": 365,
    "api_max_batch": 5000,
    "report_concurrency": 2,
    "report_timeout_seconds": 30,
    "api_max_body_bytes": 10 * 1024 * 1024,
    "metrics_token": "",
    "job_intervals": [],
    "questionnaire_rules": [],
    "previous_sampling_secrets": [],
    "secret_key": "",
    "sampling_secret": "",
    "identifier_key": "",
}


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Read and validate the settings; raise ConfigError naming the bad variable.

    Sources, each over the one before: defaults, the TOML file (SURVEY_CONFIG_FILE), `.env`,
    the environment, `overrides`.
    """
    overrides = {k.lower().removeprefix("survey_"): v for k, v in (overrides or {}).items()}
    toml_file = overrides.pop("config_file", None) or os.environ.get("SURVEY_CONFIG_FILE")
    values: dict[str, Any] = toml_values(Path(toml_file)) if toml_file else {}
    values.update(_from_files_and_environment())
    values.update(overrides)
    instance = Path(values.get("instance_path") or "instance").expanduser().resolve()
    values["instance_path"] = instance
    if values.get("env", "development") != "production":
        values.update(dev_secrets(instance, values))
    if not values.get("database_url"):
        values["database_url"] = f"sqlite:///{instance / 'survey.db'}"
    try:
        return Settings.model_validate({**DEFAULTS, **values})
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


def is_configured(field: str) -> bool:
    """Whether a setting is given (TOML file, `.env` or the environment), not left default."""
    toml_file = os.environ.get("SURVEY_CONFIG_FILE")
    if toml_file and field in toml_values(Path(toml_file)):
        return True
    return field in _from_files_and_environment()


def env_name(field: str) -> str:
    """The environment variable that sets a field."""
    if field.startswith("twilio_") and field != "twilio_base_url":
        return field.upper()
    return "SURVEY_" + field.upper()


def _from_files_and_environment() -> dict[str, Any]:
    dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    sources = {**dotenv, **os.environ}
    found: dict[str, Any] = {}
    for field, info in Settings.model_fields.items():
        name = env_name(field)
        if name in sources:
            raw = sources[name]
            is_list = "list" in str(info.annotation)
            found[field] = [p.strip() for p in raw.split(",") if p.strip()] if is_list else raw
    return found


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = error["loc"]
        message = error_message(error)
        if loc and str(loc[0]) in Settings.model_fields:
            lines.append(f"{env_name(str(loc[0]))}: {message} (got {error.get('input')!r})")
        else:
            lines.append(message)
    return "invalid configuration: " + "; ".join(lines)


def error_message(error: ErrorDetails) -> str:
    """What a validation error says, without pydantic's prefix for a rule's ValueError."""
    return str(error["msg"]).removeprefix("Value error, ")
