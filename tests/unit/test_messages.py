"""Survey messages in Swedish and English: the three links, no marketing, SMS in two parts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from survey.channels.sms import segments
from survey.config import Settings, load_settings
from survey.delivery.messages import AboutContact, MessageTooLong, longest_sms, render_message
from survey.models import Channel
from survey.tokens import opt_out_url, survey_url


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return load_settings(
        {
            "env": "test",
            "instance_path": str(tmp_path),
            "database_url": f"sqlite:///{tmp_path / 'x.db'}",
            "secret_key": "k" * 32,
            "sampling_secret": "s",
            "identifier_key": "i",
            "base_url": "https://survey.test",
            **extra,
        }
    )


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize("reminder", [False, True])
def test_every_message_carries_survey_opt_out_and_privacy_links(
    tmp_path: Path, language: str, channel: str, reminder: bool
) -> None:
    settings = _settings(tmp_path, privacy_url="https://example.se/integritet")
    message = render_message(
        settings, survey_id=42, channel=channel, to="x", language=language, reminder=reminder
    )
    key = settings.secret_key
    links = [
        survey_url("https://survey.test", key, 42),
        opt_out_url("https://survey.test", key, 42),
        "https://example.se/integritet",
    ]
    assert all(link in message.body for link in links)
    assert message.link == links[0] and message.opt_out_link == links[1]
    if channel == "email":
        assert message.subject and message.html_body
        assert all(f'href="{link}"' in message.html_body for link in links)
    lowered = message.body.lower()
    assert not any(word in lowered for word in ("erbjudande", "rabatt", "offer", "discount"))


def test_swedish_and_english_differ_and_unknown_languages_fall_back(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    sv = render_message(settings, survey_id=1, channel="email", to="x", language="sv-SE")
    en = render_message(settings, survey_id=1, channel="email", to="x", language="en")
    fallback = render_message(settings, survey_id=1, channel="email", to="x", language="fi")
    assert sv.subject and sv.subject.startswith("Vad tyckte du")
    assert en.subject and en.subject.startswith("What did you think")
    assert fallback.subject == sv.subject


def test_the_organisation_name_is_escaped_in_html(tmp_path: Path) -> None:
    settings = _settings(tmp_path, organisation_name="A & <B>")
    message = render_message(settings, survey_id=1, channel="email", to="x", language="en")
    assert message.html_body and "A &amp; &lt;B&gt;" in message.html_body
    assert "A & <B>" in message.body


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_sms_reminder_with_a_long_base_url_fits_two_parts(tmp_path: Path, language: str) -> None:
    settings = _settings(
        tmp_path,
        base_url="https://enkat.exempelforetaget.se",
        organisation_name="Exempelföretaget",
    )
    message = render_message(
        settings, survey_id=10**12, channel="sms", to="x", language=language, reminder=True
    )
    assert segments(message.body) <= 2


def test_an_sms_that_would_need_three_parts_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, organisation_name="Kundservice " * 10)
    with pytest.raises(MessageTooLong, match="3 parts"):
        render_message(settings, survey_id=1, channel="sms", to="x", language="sv")


def test_settings_that_make_every_sms_too_long_are_refused_at_start(tmp_path) -> None:
    from survey.config import ConfigError
    from survey.migrate import upgrade
    from survey.startup import start_context

    secrets = {"secret_key": "s" * 32, "sampling_secret": "t" * 32, "identifier_key": "u" * 32}
    long_url = "https://" + "kundundersokning." * 4 + "example.se"
    with pytest.raises(ConfigError, match=r"SURVEY_BASE_URL .* make the sv SMS too long"):
        start_context({"instance_path": tmp_path, "base_url": long_url, **secrets})
    upgrade(f"sqlite:///{tmp_path / 'survey.db'}")
    ctx = start_context(
        {"instance_path": tmp_path, "base_url": "https://nkt.example.se", **secrets}
    )
    ctx.engine.dispose()


@pytest.mark.parametrize(
    ("language", "sms_words", "email_words"),
    [
        (
            "sv",
            "Vad tyckte du om ditt samtal den 28 november?",
            "ditt samtal med oss den 28 november",
        ),
        (
            "en",
            "What did you think of your call on 28 November?",
            "your call with us on 28 November",
        ),
    ],
)
def test_every_message_names_the_contact_it_is_about(
    tmp_path: Path, language: str, sms_words: str, email_words: str
) -> None:
    settings = _settings(tmp_path)
    about = AboutContact("phone", date(2026, 11, 28))
    for reminder in (False, True):
        sms = render_message(
            settings,
            survey_id=7,
            channel="sms",
            to="x",
            language=language,
            reminder=reminder,
            contact=about,
        )
        email = render_message(
            settings,
            survey_id=7,
            channel="email",
            to="x",
            language=language,
            reminder=reminder,
            contact=about,
        )
        assert sms_words.lower() in sms.body.lower()
        assert email_words in email.body and email.html_body and email_words in email.html_body


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_email_asks_the_overall_question_with_one_link_per_answer(
    tmp_path: Path, language: str
) -> None:
    settings = _settings(tmp_path)
    message = render_message(settings, survey_id=9, channel="email", to="x", language=language)
    link = survey_url("https://survey.test", settings.secret_key, 9)
    labels = {
        "sv": ["Mycket missnöjd", "Missnöjd", "Varken nöjd eller missnöjd", "Nöjd", "Mycket nöjd"],
        "en": ["Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied"],
    }[language]
    assert message.html_body
    for n, label in enumerate(labels, start=1):
        # Plain text: the answer, then its link on a line of its own.
        assert f"\n{n} {label}:\n{link}?overall={n}\n" in message.body
        # HTML: the whole answer is the link's text.
        assert f'<a href="{link}?overall={n}" style="' in message.html_body
        assert f">{n} {label}</a>" in message.html_body
    assert message.body.count("?overall=") == 5 == message.html_body.count("?overall=")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_sms_fits_two_parts_whichever_contact_it_names(tmp_path: Path, language: str) -> None:
    settings = _settings(
        tmp_path,
        base_url="https://enkat.exempelforetaget.se",
        organisation_name="Exempelföretaget",
    )
    assert segments(longest_sms(settings, language).body) == 2

    def reminder(channel: str) -> str:
        return render_message(
            settings,
            survey_id=2**63 - 1,
            channel="sms",
            to="x",
            language=language,
            reminder=True,
            contact=AboutContact(channel, date(2026, 9, 30)),
        ).body

    # Only where the month written out would not fit is the date written as day/month.
    assert "30 september" in reminder("phone").lower() and "30/9" in reminder("social")
    assert all(segments(reminder(channel)) <= 2 for channel in Channel)
