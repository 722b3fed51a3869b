"""The reply-mode SMS (SURVEY_SMS_MODE=reply): the overall question, how to answer, STOP and the
link, in at most three GSM-7 parts; and the short SMS that answer a reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from survey.channels.sms import is_gsm7, segments
from survey.config import Settings, load_settings
from survey.delivery.messages import (
    MAX_REPLY_SMS_SEGMENTS,
    MessageTooLong,
    longest_sms,
    render_message,
    render_sms_answer,
)
from survey.tokens import opt_out_url, survey_url

HOW_TO_ANSWER = {
    "sv": ("Svara med en siffra 1-5", "STOPP"),
    "en": ("Reply with a number 1-5", "STOP"),
}


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return load_settings(
        {
            "env": "test",
            "instance_path": str(tmp_path),
            "database_url": f"sqlite:///{tmp_path / 'x.db'}",
            "secret_key": "k" * 32,
            "sampling_secret": "s",
            "identifier_key": "i",
            "base_url": "https://enkat.exempelforetaget.se",
            "organisation_name": "Exempelföretaget",
            "sms_mode": "reply",
            **extra,
        }
    )


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_longest_reply_mode_sms_fits_three_gsm7_parts_and_says_how_to_answer(
    tmp_path: Path, language: str
) -> None:
    settings = _settings(tmp_path)
    message = longest_sms(settings, language)
    assert segments(message.body) <= MAX_REPLY_SMS_SEGMENTS == 3
    assert is_gsm7(message.body)
    ask, stop = HOW_TO_ANSWER[language]
    assert ask in message.body and f" {stop} " in message.body, message.body
    assert survey_url(settings.base_url, settings.secret_key, 2**63 - 1) in message.body
    assert opt_out_url(settings.base_url, settings.secret_key, 2**63 - 1) in message.body
    assert settings.privacy_notice_url in message.body


def test_a_reply_mode_sms_that_would_need_four_parts_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, organisation_name="Kundservice " * 20)
    with pytest.raises(MessageTooLong, match=r"\(at most 3\)"):
        render_message(settings, survey_id=1, channel="sms", to="x", language="sv")


def test_link_mode_keeps_its_two_part_sms_without_the_reply_question(tmp_path: Path) -> None:
    settings = _settings(tmp_path, sms_mode="link")
    body = longest_sms(settings, "sv").body
    assert segments(body) <= 2 and "Svara med en siffra" not in body


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("kind", ["thanks", "help", "closed"])
def test_the_answers_to_a_reply_are_one_gsm7_part(tmp_path: Path, language: str, kind: str) -> None:
    settings = _settings(tmp_path)
    message = render_sms_answer(
        settings, survey_id=5, to="+46701234567", language=language, kind=kind
    )
    assert message.kind == kind and message.channel == "sms"
    assert is_gsm7(message.body) and segments(message.body) <= (2 if kind == "thanks" else 1)
    link = survey_url(settings.base_url, settings.secret_key, 5)
    assert (link in message.body) == (kind == "thanks")
