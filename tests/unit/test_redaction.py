"""Comments are stored without phone numbers, e-mail addresses or personal identity numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.respondent.redaction import (
    PLACEHOLDER,
    is_personal_identity_number,
    luhn_valid,
    redact_personal_data,
)


def check_digit(nine: str) -> str:
    """The Luhn check digit that completes nine digits."""
    return next(str(d) for d in range(10) if luhn_valid(nine + str(d)))


@st.composite
def personal_identity_numbers(draw: st.DrawFn) -> str:
    """A personnummer or samordningsnummer as people write it: 10 or 12 digits, with or
    without its - (or + for the hundred-year-old)."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    day = born.day + (60 if draw(st.booleans()) else 0)
    nine = f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    ten = nine + check_digit(nine)
    century = f"{born:%Y}"[:2] if draw(st.booleans()) else ""
    separator = draw(st.sampled_from(["", "-", "+"]))
    return f"{century}{ten[:6]}{separator}{ten[6:]}"


@st.composite
def swedish_mobile_numbers(draw: st.DrawFn) -> str:
    """A Swedish mobile number in one of the ways customers write one."""
    prefix = draw(st.sampled_from(["70", "72", "73", "76", "79"]))
    rest = f"{draw(st.integers(0, 9_999_999)):07d}"
    return draw(
        st.sampled_from(
            [
                f"0{prefix}{rest}",
                f"0{prefix}-{rest[:3]} {rest[3:5]} {rest[5:]}",
                f"+46 {prefix} {rest[:3]} {rest[3:5]} {rest[5:]}",
                f"+46{prefix}{rest}",
                f"0046{prefix}{rest}",
            ]
        )
    )


WORDS = st.text(alphabet=st.characters(categories=["L", "Zs"]), max_size=40)


@given(WORDS, personal_identity_numbers(), WORDS)
def test_a_personal_identity_number_is_replaced(before: str, number: str, after: str) -> None:
    redacted = redact_personal_data(f"{before} {number} {after}")
    assert redacted == f"{before} {PLACEHOLDER} {after}"


@given(WORDS, swedish_mobile_numbers(), WORDS)
def test_a_phone_number_is_replaced(before: str, number: str, after: str) -> None:
    redacted = redact_personal_data(f"{before} ring mig på {number} {after}")
    assert redacted == f"{before} ring mig på {PLACEHOLDER} {after}"


@given(st.emails())
def test_an_email_address_is_replaced(address: str) -> None:
    assert redact_personal_data(f"Mejla {address} tack") == f"Mejla {PLACEHOLDER} tack"


@given(st.text(alphabet=st.characters(categories=["L", "P", "Zs"], exclude_characters="@")))
def test_text_without_digits_or_addresses_is_kept_as_written(text: str) -> None:
    assert redact_personal_data(text) == text


@given(st.text(max_size=200))
def test_redacting_twice_changes_nothing_more(text: str) -> None:
    once = redact_personal_data(text)
    assert redact_personal_data(once) == once


@pytest.mark.parametrize(
    "comment",
    [
        "Ärende 12345 tog 20 minuter och kostade 1500 kr.",
        "Ordernummer 8112189877 kom inte fram.",  # the shape of a personnummer, not its check
        "Fakturan 2026-11-30 var på 2 499,50 kr.",
        "Klockan 14.30, kö 3 av 10.",
    ],
)
def test_ordinary_numbers_are_kept(comment: str) -> None:
    assert redact_personal_data(comment) == comment


def test_every_kind_in_one_comment() -> None:
    comment = (
        "Jag (19811218-9876) fick fel svar. Ring 070-123 45 67 eller mejla "
        "anna.svensson@example.se."
    )
    assert redact_personal_data(comment) == (
        f"Jag ({PLACEHOLDER}) fick fel svar. Ring {PLACEHOLDER} eller mejla {PLACEHOLDER}."
    )


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("8112189876", True),  # personnummer
        ("8112789876", False),  # the day plus 60 with the same check digit: the check fails
        ("8112789873", True),  # samordningsnummer (day 18 + 60)
        ("8112189877", False),  # wrong check digit
        ("8113189875", False),  # month 13 (the check digit holds)
        ("811218987", False),  # nine digits
    ],
)
def test_personal_identity_numbers_are_told_by_date_and_check_digit(
    digits: str, valid: bool
) -> None:
    assert is_personal_identity_number(digits) is valid
