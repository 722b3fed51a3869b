"""SMS through Twilio's Messages API with the official library.

The library has no base-URL setting: SURVEY_TWILIO_BASE_URL is applied by an HTTP client that
rewrites the scheme and host of every request (tests point it at a local fake).
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from survey.channels.base import Message, ProviderMessage, SendResult
from survey.config import Settings
from survey.models.enums import ErrorCategory

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0
# A survey that cannot go out within 15 minutes is not sent late; it also bounds how long an
# `unknown` send must be waited for before Twilio's silence proves it never went (SPEC 6).
VALIDITY_PERIOD_SECONDS = 900
LOOKUP_LIMIT = 50  # the newest messages to one recipient that reconciliation looks through
INVALID_NUMBER = 21211
UNSUBSCRIBED = 21610
# Errors about the recipient or the content: sending again cannot help.
PERMANENT_CODES = {INVALID_NUMBER, UNSUBSCRIBED, 21408, 21612, 21614, 21617, 30004, 30005, 30006}
# Twilio's error codes (API answers and status callbacks' ErrorCode) by category.
CATEGORIES = {
    20003: ErrorCategory.authentication_failed,
    20429: ErrorCategory.rate_limited,
    INVALID_NUMBER: ErrorCategory.invalid_recipient,
    21612: ErrorCategory.invalid_recipient,
    21614: ErrorCategory.invalid_recipient,
    UNSUBSCRIBED: ErrorCategory.recipient_opted_out,
    21617: ErrorCategory.content_refused,
    30003: ErrorCategory.recipient_unreachable,
    30005: ErrorCategory.recipient_unreachable,
    30006: ErrorCategory.recipient_unreachable,
    30007: ErrorCategory.content_refused,
}


class BaseUrlHttpClient(TwilioHttpClient):
    """Send every request to `base_url` instead of Twilio's host; never retries by itself."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=logging.getLogger("survey.twilio.http"))
        target = urlsplit(base_url)
        self.scheme, self.netloc = target.scheme, target.netloc
        self.logger.setLevel(logging.WARNING)  # its INFO lines would carry phone numbers

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        parts = urlsplit(url)
        url = urlunsplit((self.scheme, self.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)


class TwilioChannel:
    name = "sms"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str,
        callback_base_url: str,
        messaging_service_sid: str = "",
        from_number: str = "",
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.base_url, self.callback_base_url = base_url, callback_base_url.rstrip("/")
        self.messaging_service_sid, self.from_number = messaging_service_sid, from_number
        self.timeout = timeout
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> TwilioChannel:
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            base_url=settings.twilio_base_url,
            callback_base_url=settings.base_url,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            from_number=settings.twilio_from_number,
            **kwargs,
        )

    def _client(self) -> Client:
        # One client (and connection pool) per sending thread.
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            http = BaseUrlHttpClient(self.base_url, self.timeout)
            client = Client(self.account_sid, self.auth_token, http_client=http)
            self._local.client = client
        return client

    def status_callback(self, message: Message) -> str:
        query = urlencode({"survey_id": message.survey_id, "kind": message.kind})
        return f"{self.callback_base_url}/webhooks/twilio/status?{query}"

    def send(self, message: Message) -> SendResult:
        sender: dict[str, Any] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        try:
            created = self._client().messages.create(
                to=message.to,
                body=message.body,
                status_callback=self.status_callback(message),
                validity_period=VALIDITY_PERIOD_SECONDS,
                **sender,
            )
        except TwilioException as exc:
            return classify_api_error(exc)
        except requests.RequestException as exc:
            return classify_transport_error(exc)
        return SendResult.sent(created.sid)

    def messages_to(self, to: str) -> list[ProviderMessage]:
        """Twilio's newest messages to `to` (Messages list filtered by To; not by DateSent,
        which counts whole days and leaves out messages still queued)."""
        found = self._client().messages.list(to=to, limit=LOOKUP_LIMIT)
        return [
            ProviderMessage(
                sid=str(m.sid),
                body=m.body or "",
                status=str(m.status or ""),
                error_code=m.error_code,
                created_at=m.date_created,
                updated_at=m.date_updated,
            )
            for m in found
        ]

    def close(self) -> None:
        return None


def error_category(code: int | None, http_status: int = 0) -> ErrorCategory:
    """The category of a Twilio error code, else of the HTTP status of the answer."""
    if code in CATEGORIES:
        return CATEGORIES[code]
    if http_status == 429:
        return ErrorCategory.rate_limited
    if http_status >= 500:
        return ErrorCategory.provider_error
    if http_status in (401, 403):
        return ErrorCategory.authentication_failed
    return ErrorCategory.refused


def classify_api_error(exc: TwilioException) -> SendResult:
    """An answer from the API: the message was refused, so nothing was sent."""
    status = int(getattr(exc, "status", 0) or 0)
    code = getattr(exc, "code", None)
    code = code if isinstance(code, int) else None
    text = f"Twilio HTTP {status} error {code}: {getattr(exc, 'msg', '') or exc}"[:480]
    category = error_category(code, status)
    if code in PERMANENT_CODES:
        return SendResult.permanent(
            text, opted_out=code == UNSUBSCRIBED, code=code, category=category
        )
    if status == 429 or status >= 500:
        return SendResult.retry(text, code=code, category=category)
    return SendResult.permanent(text, code=code, category=category)


def classify_transport_error(exc: requests.RequestException) -> SendResult:
    """No answer: retry only when the request provably never reached Twilio."""
    failed = ErrorCategory.connection_failed
    if isinstance(exc, requests.ConnectTimeout):
        return SendResult.retry(f"Twilio connect timeout: {type(exc).__name__}", category=failed)
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return SendResult.retry("Twilio connection refused or unreachable", category=failed)
    return SendResult.unknown(
        f"no answer from Twilio after sending: {type(exc).__name__}",
        category=ErrorCategory.no_answer,
    )
