"""The contact a survey is about, named in the customer's language (Bilaga 1 A1.3)."""

from __future__ import annotations

from datetime import date

import pytest

from survey.contact_phrase import contact_phrase
from survey.models import Channel

DAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("channel", "language", "expected"),
    [
        ("phone", "sv", "ditt samtal med oss den 28 november"),
        ("phone", "en", "your call with us on 28 November"),
        ("chat", "sv", "din chatt med oss den 28 november"),
        ("visit", "en", "your visit to us on 28 November"),
        ("fax", "sv", "din kontakt med oss den 28 november"),
    ],
)
def test_the_contact_is_named_by_its_channel_and_local_date(
    channel: str, language: str, expected: str
) -> None:
    assert contact_phrase(channel, DAY, language) == expected


def test_each_channel_has_its_own_words_in_both_languages() -> None:
    for language in ("sv", "en"):
        named = {contact_phrase(channel, DAY, language) for channel in Channel}
        assert len(named) == len(Channel)


def test_the_short_forms_leave_out_with_us_and_may_write_the_date_in_figures() -> None:
    assert contact_phrase("visit", DAY, "sv", short=True) == "ditt besök den 28 november"
    assert contact_phrase("phone", DAY, "en", short=True, numeric=True) == "your call on 28/11"
    assert contact_phrase("social", None, "en") == "your contact with us on social media"
