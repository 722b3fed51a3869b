"""Render survey messages (SMS; e-mail subject, text and HTML) in the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from survey.channels.base import Message
from survey.channels.sms import segments
from survey.config import Settings
from survey.intake.schemas import language_of
from survey.models import Survey
from survey.tokens import opt_out_url, survey_url

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "messages"
MAX_SMS_SEGMENTS = 2


class MessageTooLong(Exception):
    """The SMS would need more parts than allowed (long base URL or organisation name)."""


@dataclass(frozen=True)
class Links:
    survey: str
    opt_out: str
    privacy: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def links_for(settings: Settings, survey_id: int) -> Links:
    return Links(
        survey=survey_url(settings.base_url, settings.secret_key, survey_id),
        opt_out=opt_out_url(settings.base_url, settings.secret_key, survey_id),
        privacy=settings.privacy_notice_url,
    )


def render_message(
    settings: Settings,
    *,
    survey_id: int,
    channel: str,
    to: str,
    language: str | None,
    reminder: bool = False,
) -> Message:
    """The message for one survey; raises MessageTooLong for an SMS of more than 2 parts."""
    lang = language_of(language, settings.default_language)
    links = links_for(settings, survey_id)
    values = {
        "organisation": settings.organisation_name,
        "survey_link": links.survey,
        "opt_out_link": links.opt_out,
        "privacy_link": links.privacy,
        "reminder": reminder,
    }
    env = _environment()
    kind = "reminder" if reminder else "survey"
    if channel == "sms":
        body = env.get_template(f"{lang}/sms.txt").render(values).strip()
        parts = segments(body)
        if parts > MAX_SMS_SEGMENTS:
            raise MessageTooLong(f"SMS would need {parts} parts (at most {MAX_SMS_SEGMENTS})")
        return Message(survey_id, kind, "sms", to, body, links.survey, links.opt_out)
    subject = env.get_template(f"{lang}/email_subject.txt").render(values).strip()
    text = env.get_template(f"{lang}/email.txt").render(values).strip() + "\n"
    html = env.get_template(f"{lang}/email.html").render(subject=subject, **values)
    return Message(survey_id, kind, "email", to, text, links.survey, links.opt_out, subject, html)


def check_sms_fits(settings: Settings) -> None:
    """Refuse settings under which every SMS would exceed the part limit (checked at start)."""
    from survey.config import SUPPORTED_LANGUAGES, ConfigError

    largest_id = 2**63 - 1  # tokens have a fixed length, so any id gives the longest text
    for language in SUPPORTED_LANGUAGES:
        for reminder in (False, True):
            try:
                render_message(
                    settings,
                    survey_id=largest_id,
                    channel="sms",
                    to="+46700000000",
                    language=language,
                    reminder=reminder,
                )
            except MessageTooLong as exc:
                raise ConfigError(
                    f"invalid configuration: SURVEY_BASE_URL ({len(settings.base_url)} "
                    f"characters) and SURVEY_ORGANISATION_NAME ({len(settings.organisation_name)}"
                    f" characters) make the {language} SMS too long: {exc}; shorten either"
                ) from None


def render_for_survey(settings: Settings, survey: Survey, *, reminder: bool = False) -> Message:
    """The message (or reminder) for a scheduled survey, to its address in its language."""
    assert survey.id is not None and survey.to_address
    return render_message(
        settings,
        survey_id=survey.id,
        channel=survey.send_channel,
        to=survey.to_address,
        language=survey.language,
        reminder=reminder,
    )
