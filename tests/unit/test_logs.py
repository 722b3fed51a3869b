"""Log lines carry no survey token and no customer identifier."""

from __future__ import annotations

import logging

import pytest

from survey.logs import RedactingFilter, redact

TOKEN = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f'127.0.0.1 - - [30/Nov/2026:10:00:00 +0100] "GET /s/{TOKEN}?lang=en HTTP/1.1" 200 5',
            '127.0.0.1 - - [30/Nov/2026:10:00:00 +0100] "GET /s/[redacted]?lang=en HTTP/1.1" 200 5',
        ),
        (f'"POST /o/{TOKEN} HTTP/1.1" 200', '"POST /o/[redacted] HTTP/1.1" 200'),
        (f'"GET /s/{TOKEN}/thanks HTTP/1.1" 200', '"GET /s/[redacted]/thanks HTTP/1.1" 200'),
        (
            '"GET /api/v1/customers/export?email=anna.svensson@example.se HTTP/1.1" 405',
            '"GET /api/v1/customers/export?[redacted] HTTP/1.1" 405',
        ),
        (
            '"GET /api/v1/customers/export?phone=%2B46701234567 HTTP/1.1" 405',
            '"GET /api/v1/customers/export?[redacted] HTTP/1.1" 405',
        ),
        (
            '"GET /api/v1/customers?ref=KUND-4711 HTTP/1.1" 404',
            '"GET /api/v1/customers?[redacted] HTTP/1.1" 404',
        ),
        (
            '"GET /api/v1/reports/satisfaction?from=2026-11-01&to=2026-12-01 HTTP/1.1" 200',
            '"GET /api/v1/reports/satisfaction?from=2026-11-01&to=2026-12-01 HTTP/1.1" 200',
        ),
        ("refused: anna.svensson@example.se", "refused: [redacted]"),
        ("refused: anna.svensson%40example.se", "refused: [redacted]"),
        ("The 'To' number +46701234567 is not valid", "The 'To' number [redacted] is not valid"),
        ("12 surveys sent in 0.5 s", "12 surveys sent in 0.5 s"),
    ],
)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("survey.test", logging.ERROR, __file__, 1, message, args, exc_info)


def formatted(item: logging.LogRecord) -> str:
    assert RedactingFilter().filter(item)
    return logging.Formatter("%(message)s").format(item)


def test_a_message_and_its_arguments_are_redacted() -> None:
    text = formatted(record("sending to %s failed (%s)", "+46701234567", f"/s/{TOKEN}"))
    assert text == "sending to [redacted] failed (/s/[redacted])"


def test_the_traceback_of_a_logged_exception_is_redacted() -> None:
    try:
        raise RuntimeError("550 anna.svensson@example.se: mailbox unavailable")
    except RuntimeError as exc:
        text = formatted(record("sending failed", exc=exc))
    assert "RuntimeError: 550 [redacted]: mailbox unavailable" in text
    assert "anna.svensson" not in text
