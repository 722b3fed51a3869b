"""Which contact a survey is about, in the customer's words (Bilaga 1 A1.3): "ditt samtal med oss
den 28 november", "your call with us on 28 November". Shared by the messages and the survey page.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from survey.config import SUPPORTED_LANGUAGES

# The contact by its channel (Survey.channel), as the object of "how satisfied were you with".
_CONTACT = {
    "sv": {
        "phone": "ditt samtal med oss",
        "chat": "din chatt med oss",
        "email": "din e-postkontakt med oss",
        "sms": "din sms-kontakt med oss",
        "social": "din kontakt med oss i sociala medier",
        "video": "ditt videosamtal med oss",
        "visit": "ditt besök hos oss",
        "other": "din kontakt med oss",
    },
    "en": {
        "phone": "your call with us",
        "chat": "your chat with us",
        "email": "your e-mail exchange with us",
        "sms": "your text messages with us",
        "social": "your contact with us on social media",
        "video": "your video call with us",
        "visit": "your visit to us",
        "other": "your contact with us",
    },
}
# Left out of the short form (an SMS, whose sender already names the organisation).
_WITH_US = (" med oss", " hos oss", " with us", " to us")
# "den 28 november", "on 28 November": the day and month; the year is plain from the context.
_ON_DATE = {"sv": "den {date}", "en": "on {date}"}


def contact_phrase(
    channel: str,
    local_date: date | None,
    language: str,
    *,
    short: bool = False,
    numeric: bool = False,
) -> str:
    """The contact named by its channel and its local (Europe/Stockholm) date of closure
    (without a date: by its channel alone). `short` leaves out "med oss" ("with us"),
    `numeric` writes the date as day/month ("den 28/11"), for an SMS that would not fit."""
    lang = language if language in SUPPORTED_LANGUAGES and language in _CONTACT else "en"
    nouns = _CONTACT[lang]
    noun = nouns.get(channel, nouns["other"])
    if short:
        for words in _WITH_US:
            noun = noun.replace(words, "")
    if local_date is None:
        return noun
    day_month = (
        f"{local_date.day}/{local_date.month}"
        if numeric
        else format_date(local_date, "d MMMM", locale=lang)
    )
    return f"{noun} {_ON_DATE[lang].format(date=day_month)}"
