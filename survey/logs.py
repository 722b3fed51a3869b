"""Logging that never carries a survey token or personal data in a path."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/(s|o)/[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    return _TOKEN_PATH.sub(r"/\1/[redacted]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
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
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
