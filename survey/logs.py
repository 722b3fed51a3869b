"""Logging that never carries a survey token or a customer's identifiers.

Every line passes through redact(): the access log's request line (gunicorn, or werkzeug's
development server), the application's own messages and the tracebacks of their exceptions
(an SMTP or Twilio error can quote the address it refused).
"""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/(s|o)/[A-Za-z0-9_\-]+")
# The query string of any customer route: identifiers someone put in a URL all the same.
_CUSTOMER_QUERY = re.compile(r"(/api/v1/customers[^\s?\"']*)\?[^\s\"']*")
# Loose on purpose, and URL-encoded ones too: anything shaped like an address goes.
_EMAIL = re.compile(r"[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")
# A phone number as the engine stores and sends it (E.164), plain or URL-encoded.
_PHONE = re.compile(r"(?:\+|%2[Bb])\d{7,15}(?!\d)")
REDACTED = "[redacted]"
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    text = _TOKEN_PATH.sub(rf"/\1/{REDACTED}", text)
    text = _CUSTOMER_QUERY.sub(rf"\1?{REDACTED}", text)
    text = _EMAIL.sub(REDACTED, text)
    return _PHONE.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatted here, so that the handler's formatter uses the redacted text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        if not root.handlers:
            logging.basicConfig(
                level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
            )
        for handler in root.handlers:
            handler.addFilter(RedactingFilter())
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
