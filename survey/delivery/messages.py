"""Render survey messages (SMS; e-mail subject, text and HTML) in the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from survey.channels.base import Message
from survey.channels.sms import segments
from survey.config import Settings
from survey.contact_phrase import contact_phrase
from survey.intake.schemas import language_of
from survey.models import Channel, Survey
from survey.questionnaire import PACKAGE_DIR, Question, Questionnaire, load_questionnaires
from survey.tokens import one_tap_url, opt_out_url, survey_url

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "messages"
MAX_SMS_SEGMENTS = 2
# A reply-mode SMS asks the overall question and how to answer it as well (SURVEY_SMS_MODE=reply).
MAX_REPLY_SMS_SEGMENTS = 3
# The longest day and month a contact can be named with (sv "30 september", en "30 September").
_LONGEST_DATE = date(2026, 9, 30)


class MessageTooLong(Exception):
    """The SMS would need more parts than allowed (long base URL or organisation name)."""


@dataclass(frozen=True)
class Links:
    survey: str
    opt_out: str
    privacy: str


@dataclass(frozen=True)
class AboutContact:
    """The contact a survey is about: its channel and its local (Europe/Stockholm) date."""

    channel: str
    local_date: date


@dataclass(frozen=True)
class OneTap:
    """One of the e-mail's answers to the overall question: a link to the page with it chosen."""

    value: str
    label: str
    link: str


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


@lru_cache(maxsize=4)
def _questionnaires(instance_path: Path) -> dict[str, Questionnaire]:
    return load_questionnaires([PACKAGE_DIR, instance_path / "questionnaires"])


def _overall_question(settings: Settings, questionnaire: str) -> Question | None:
    found = _questionnaires(settings.instance_path).get(questionnaire)
    overall = [q for q in found.questions if q.id == "overall"] if found else []
    return overall[0] if overall and overall[0].kind == "scale" else None


def _one_taps(settings: Settings, survey_id: int, question: Question, lang: str) -> list[OneTap]:
    return [
        OneTap(
            option.value,
            option.label(lang),
            one_tap_url(settings.base_url, settings.secret_key, survey_id, option.value),
        )
        for option in question.options
    ]


def _contact(contact: AboutContact | None, lang: str, **form: bool) -> str:
    if contact is None:
        return contact_phrase(Channel.other, None, lang, **form)
    return contact_phrase(contact.channel, contact.local_date, lang, **form)


def max_sms_segments(settings: Settings) -> int:
    """The parts a survey SMS may use under the settings' SMS mode."""
    return MAX_REPLY_SMS_SEGMENTS if settings.sms_mode == "reply" else MAX_SMS_SEGMENTS


def _sms_body(
    settings: Settings, values: dict[str, Any], contact: AboutContact | None, lang: str
) -> str:
    """The SMS, its contact named without "with us"; with the date as day/month if the month
    written out would take it past the parts allowed (then MessageTooLong if still too long)."""
    name = "sms_reply.txt" if settings.sms_mode == "reply" else "sms.txt"
    template = _environment().get_template(f"{lang}/{name}")
    most = max_sms_segments(settings)
    body = ""
    for numeric in (False, True):
        contact_words = _contact(contact, lang, short=True, numeric=numeric)
        body = template.render({**values, "contact": contact_words}).strip()
        if segments(body) <= most:
            return body
    raise MessageTooLong(f"SMS would need {segments(body)} parts (at most {most})")


def render_message(
    settings: Settings,
    *,
    survey_id: int,
    channel: str,
    to: str,
    language: str | None,
    reminder: bool = False,
    contact: AboutContact | None = None,
    questionnaire: str = "default",
) -> Message:
    """The message for one survey; raises MessageTooLong for an SMS of too many parts.

    `contact` names the contact the survey is about; an e-mail carries the overall question of
    the questionnaire as one link per answer (one tap opens the page with it chosen)."""
    lang = language_of(language, settings.default_language)
    links = links_for(settings, survey_id)
    values: dict[str, Any] = {
        "organisation": settings.organisation_name,
        "contact": _contact(contact, lang),
        "survey_link": links.survey,
        "opt_out_link": links.opt_out,
        "privacy_link": links.privacy,
        "reminder": reminder,
    }
    env = _environment()
    kind = "reminder" if reminder else "survey"
    if channel == "sms":
        body = _sms_body(settings, values, contact, lang)
        return Message(survey_id, kind, "sms", to, body, links.survey, links.opt_out)
    question = _overall_question(settings, questionnaire)
    values["question"] = question.label(lang) if question else ""
    values["one_taps"] = _one_taps(settings, survey_id, question, lang) if question else []
    subject = env.get_template(f"{lang}/email_subject.txt").render(values).strip()
    text = env.get_template(f"{lang}/email.txt").render(values).strip() + "\n"
    html = env.get_template(f"{lang}/email.html").render(subject=subject, **values)
    return Message(survey_id, kind, "email", to, text, links.survey, links.opt_out, subject, html)


def check_sms_fits(settings: Settings) -> None:
    """Refuse settings under which every SMS would exceed the part limit (checked at start)."""
    from survey.config import SUPPORTED_LANGUAGES, ConfigError

    for language in SUPPORTED_LANGUAGES:
        try:
            longest_sms(settings, language)
        except MessageTooLong as exc:
            raise ConfigError(
                f"invalid configuration: SURVEY_BASE_URL ({len(settings.base_url)} "
                f"characters) and SURVEY_ORGANISATION_NAME ({len(settings.organisation_name)}"
                f" characters) make the {language} SMS too long: {exc}; shorten either"
            ) from None


def longest_sms(settings: Settings, language: str) -> Message:
    """The longest SMS the settings can give in a language (a reminder about the contact with
    the longest name on the longest date); raises MessageTooLong if it needs too many parts."""
    largest_id = 2**63 - 1  # tokens have a fixed length, so any id gives the longest text
    messages = [
        render_message(
            settings,
            survey_id=largest_id,
            channel="sms",
            to="+46700000000",
            language=language,
            reminder=reminder,
            contact=AboutContact(channel, _LONGEST_DATE),
        )
        for reminder in (False, True)
        for channel in Channel
    ]
    return max(messages, key=lambda message: (segments(message.body), len(message.body)))


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
        contact=AboutContact(survey.channel, survey.closed_local_date),
        questionnaire=survey.questionnaire,
    )


def render_sms_answer(
    settings: Settings, *, survey_id: int, to: str, language: str | None, kind: str
) -> Message:
    """The SMS answering a customer's reply to a reply-mode SMS: `kind` is "thanks" (with the
    survey's link for the remaining questions), "help" or "closed"."""
    lang = language_of(language, settings.default_language)
    links = links_for(settings, survey_id)
    values = {"organisation": settings.organisation_name, "survey_link": links.survey}
    body = _environment().get_template(f"{lang}/sms_{kind}.txt").render(values).strip()
    return Message(survey_id, kind, "sms", to, body, links.survey, links.opt_out)
