"""E-mail through SMTP (smtplib): STARTTLS and AUTH from SURVEY_SMTP_URL, multipart text + HTML.

What a failure means depends on when it happens: before DATA nothing was sent (4xx: retry later,
5xx: refused for good); once the content has been transmitted, a lost answer is `unknown`.
An address with non-ASCII before the @ goes out with SMTPUTF8 (RFC 6531) where the server offers
it, and otherwise fails for good before MAIL FROM (`smtputf8_unsupported`).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from dataclasses import dataclass, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from survey.channels.base import Message, Outcome, SendResult
from survey.config import Settings
from survey.db import utcnow
from survey.identifiers import envelope_address
from survey.models.enums import ErrorCategory, ErrorPhase

TIMEOUT_SECONDS = 30.0
_TRUE = {"1", "true", "yes", "on"}
STALE = "SMTP server disconnected before DATA"
_STEPS = {ErrorPhase.mail_from: "MAIL FROM", ErrorPhase.rcpt_to: "RCPT TO", ErrorPhase.data: "DATA"}
NO_SMTPUTF8 = SendResult.permanent(
    "the address is internationalised (non-ASCII before the @) and the SMTP server does not "
    "offer SMTPUTF8 (RFC 6531); nothing was sent",
    category=ErrorCategory.smtputf8_unsupported,
    phase=ErrorPhase.mail_from,
)


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
        message = replace(message, to=envelope_address(message.to))
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
            raise _Failed(
                SendResult.retry(
                    f"SMTP login refused: {exc.smtp_code}",
                    code=exc.smtp_code,
                    category=ErrorCategory.authentication_failed,
                    phase=ErrorPhase.connect,
                )
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Failed(
                SendResult.retry(
                    f"SMTP connect failed: {type(exc).__name__}",
                    code=getattr(exc, "smtp_code", None),
                    category=ErrorCategory.connection_failed,
                    phase=ErrorPhase.connect,
                )
            ) from None
        self._local.conn = conn
        international = not (self.envelope_from + to).isascii()
        self._envelope(conn, to, international)
        try:
            code, reply = conn.data(email.as_bytes(policy=SMTPUTF8 if international else SMTP))
        except smtplib.SMTPDataError as exc:  # DATA itself refused: no content went out
            raise _Failed(_refused(ErrorPhase.data, exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Failed(
                SendResult.unknown(
                    f"SMTP error during DATA: {type(exc).__name__}",
                    category=ErrorCategory.no_answer,
                    phase=ErrorPhase.data,
                )
            ) from None
        if code == 250:
            return SendResult.sent(str(email["Message-ID"]))
        text = f"SMTP {code} after DATA: {_text(reply)}"
        permanent = code >= 500
        # A temporary refusal of content already transmitted: it may still go out (unknown).
        result = SendResult(
            Outcome.permanent if permanent else Outcome.unknown,
            error=text,
            code=code,
            category=(
                ErrorCategory.content_refused if permanent else ErrorCategory.temporarily_refused
            ),
            phase=ErrorPhase.data,
        )
        raise _Failed(result)

    def _envelope(self, conn: smtplib.SMTP, to: str, international: bool) -> None:
        """MAIL FROM and RCPT TO; an internationalised address only with SMTPUTF8 (RFC 6531)."""
        options: list[str] = []
        if international:
            if not conn.has_extn("smtputf8"):
                raise _Failed(NO_SMTPUTF8)
            options = ["SMTPUTF8", "BODY=8BITMIME"] if conn.has_extn("8bitmime") else ["SMTPUTF8"]
        code, reply = _command(ErrorPhase.mail_from, conn.mail, self.envelope_from, options)
        if code == 421:  # closing a kept connection (e.g. a per-connection message limit)
            raise _Failed(_stale(ErrorPhase.mail_from))
        if code != 250:
            raise _Failed(_refused(ErrorPhase.mail_from, code, reply))
        code, reply = _command(ErrorPhase.rcpt_to, conn.rcpt, to)
        if code not in (250, 251):
            raise _Failed(_refused(ErrorPhase.rcpt_to, code, reply))

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


def _command(phase: ErrorPhase, call: Any, *args: Any) -> tuple[int, bytes]:
    """An envelope command; a connection lost before DATA sent nothing."""
    try:
        code, reply = call(*args)
    except smtplib.SMTPServerDisconnected:
        raise _Failed(_stale(phase)) from None
    except OSError as exc:
        raise _Failed(
            SendResult.retry(
                f"SMTP error before DATA: {type(exc).__name__}",
                category=ErrorCategory.connection_failed,
                phase=phase,
            )
        ) from None
    return int(code), reply


def _stale(phase: ErrorPhase) -> SendResult:
    return SendResult.retry(STALE, category=ErrorCategory.connection_failed, phase=phase)


def _refused(phase: ErrorPhase, code: int, reply: bytes | str) -> SendResult:
    text = f"SMTP {code} at {_STEPS[phase]}: {_text(reply)}"
    if code < 500:
        return SendResult.retry(
            text, code=code, category=ErrorCategory.temporarily_refused, phase=phase
        )
    category = ErrorCategory.refused
    if phase is ErrorPhase.rcpt_to and code in (550, 551, 553):
        category = ErrorCategory.invalid_recipient
    elif phase is ErrorPhase.data:
        category = ErrorCategory.content_refused
    return SendResult.permanent(text, code=code, category=category, phase=phase)
