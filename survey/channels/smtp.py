"""E-mail through SMTP (smtplib): STARTTLS and AUTH from SURVEY_SMTP_URL, multipart text + HTML.

What a failure means depends on when it happens: before DATA nothing was sent (4xx: retry later,
5xx: refused for good); once the content has been transmitted, a lost answer is `unknown`.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from survey.channels.base import Message, SendResult
from survey.config import Settings
from survey.db import utcnow

TIMEOUT_SECONDS = 30.0
_TRUE = {"1", "true", "yes", "on"}
STALE = "SMTP server disconnected before DATA"


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    implicit_tls: bool

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """smtp://user:pass@host:587?starttls=1 or smtps://user:pass@host:465."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SURVEY_SMTP_URL must look like smtp://user:pass@host:587?starttls=1")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            starttls=query.get("starttls", "0").lower() in _TRUE,
            implicit_tls=implicit,
        )


def build_email(message: Message, mail_from: str) -> EmailMessage:
    """The multipart/alternative e-mail with RFC 8058 one-click unsubscribe headers."""
    name, address = parseaddr(mail_from)
    domain = address.rpartition("@")[2] or "localhost"
    email = EmailMessage()
    email["From"] = Address(display_name=name, addr_spec=address) if name else address
    email["To"] = message.to
    email["Subject"] = message.subject or ""
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain=domain)
    email["List-Unsubscribe"] = f"<{message.opt_out_link}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the message 7-bit clean for relays without 8BITMIME.
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    if message.html_body:
        email.add_alternative(
            message.html_body, subtype="html", charset="utf-8", cte="quoted-printable"
        )
    return email


class _Failed(Exception):
    def __init__(self, result: SendResult) -> None:
        self.result = result


class SmtpChannel:
    name = "email"

    def __init__(
        self,
        target: SmtpTarget,
        mail_from: str,
        *,
        timeout: float = TIMEOUT_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.target, self.mail_from, self.timeout = target, mail_from, timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.envelope_from = parseaddr(mail_from)[1]
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> SmtpChannel:
        return cls(SmtpTarget.parse(settings.smtp_url), settings.mail_from, **kwargs)

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        conn: smtplib.SMTP
        if t.implicit_tls:
            conn = smtplib.SMTP_SSL(t.host, t.port, timeout=self.timeout, context=self.ssl_context)
        else:
            conn = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
        try:
            if t.starttls:
                conn.starttls(context=self.ssl_context)
            if t.username:
                conn.login(t.username, t.password)
            conn.ehlo_or_helo_if_needed()
        except BaseException:
            conn.close()  # a refused login or TLS handshake leaves no socket behind
            raise
        with self._lock:
            self._open.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def send(self, message: Message) -> SendResult:
        email = build_email(message, self.mail_from)
        reused = getattr(self._local, "conn", None) is not None
        try:
            result = self._transmit(email, message.to)
        except _Failed as failed:
            result = failed.result
            stale = reused and result.error == STALE
            self._drop()
            if stale:  # a kept connection the server had closed: nothing was sent, try anew
                try:
                    result = self._transmit(email, message.to)
                except _Failed as again:
                    result = again.result
                    self._drop()
        return result

    def _transmit(self, email: EmailMessage, to: str) -> SendResult:
        try:
            conn = getattr(self._local, "conn", None) or self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise _Failed(SendResult.retry(f"SMTP login refused: {exc.smtp_code}")) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Failed(SendResult.retry(f"SMTP connect failed: {type(exc).__name__}")) from None
        self._local.conn = conn
        try:
            self._envelope(conn, to)
        except smtplib.SMTPServerDisconnected:
            raise _Failed(SendResult.retry(STALE)) from None
        except OSError as exc:
            raise _Failed(SendResult.retry(f"SMTP error before DATA: {exc}")) from None
        try:
            code, reply = conn.data(email.as_bytes(policy=SMTP))
        except smtplib.SMTPDataError as exc:  # DATA itself refused: no content went out
            raise _Failed(_refused("DATA", exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Failed(
                SendResult.unknown(f"SMTP error during DATA: {type(exc).__name__}")
            ) from None
        if code == 250:
            return SendResult.sent(str(email["Message-ID"]))
        text = f"SMTP {code} after DATA: {_text(reply)}"
        raise _Failed(SendResult.permanent(text) if code >= 500 else SendResult.unknown(text))

    def _envelope(self, conn: smtplib.SMTP, to: str) -> None:
        code, reply = conn.mail(self.envelope_from)
        if code == 421:  # closing a kept connection (e.g. a per-connection message limit)
            raise _Failed(SendResult.retry(STALE))
        if code != 250:
            raise _Failed(_refused("MAIL FROM", code, reply))
        code, reply = conn.rcpt(to)
        if code not in (250, 251):
            raise _Failed(_refused("RCPT TO", code, reply))

    def close(self) -> None:
        with self._lock:
            open_, self._open = self._open, []
        for conn in open_:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()


def _text(reply: bytes | str) -> str:
    return (reply.decode(errors="replace") if isinstance(reply, bytes) else reply)[:300]


def _refused(step: str, code: int, reply: bytes | str) -> SendResult:
    text = f"SMTP {code} at {step}: {_text(reply)}"
    return SendResult.permanent(text) if code >= 500 else SendResult.retry(text)
