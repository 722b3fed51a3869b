"""The API's request models: they validate input and generate the OpenAPI document."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from survey.config import SUPPORTED_LANGUAGES
from survey.identifiers import (
    LATEST_CASE_REF_VERSION,
    case_ref_version,
    normalise_case_ref,
    normalise_email,
    normalise_phone,
)
from survey.privacy.pseudonyms import PREFIX as PSEUDONYM_PREFIX
from survey.privacy.pseudonyms import is_pseudonym

CLOCK_SKEW = timedelta(minutes=5)
# Control characters (C0 but tab, line feed and carriage return; DEL; C1) and lone surrogates:
# no text of a contact needs them, and PostgreSQL cannot store NUL or a lone surrogate.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
ChannelName = Literal["phone", "chat", "email", "sms", "social", "video", "visit", "other"]


def language_of(tag: str | None, default: str) -> str:
    """The supported language a BCP 47 tag names (sv-SE is sv); others fall back to `default`."""
    if not tag:
        return default
    primary = tag.split("-")[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else default


def _language_tag(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().replace("_", "-")
    if not _LANGUAGE_TAG.match(value):
        raise ValueError("must be a BCP 47 language tag, e.g. sv, sv-SE or en")
    return value


def _case_ref(value: str, info: ValidationInfo) -> str:
    now = (info.context or {}).get("now")
    version = case_ref_version(now) if now is not None else LATEST_CASE_REF_VERSION
    value = normalise_case_ref(value, version)
    if not value:
        raise ValueError("must not be empty")
    if is_pseudonym(value):
        raise ValueError(f"must not start with {PSEUDONYM_PREFIX!r} (kept for old cases)")
    return value


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _within_years(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must lie between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


Text100 = Annotated[str | None, Field(default=None, max_length=100), AfterValidator(_text)]
Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_within_years),
    Field(description=f"ISO 8601 with a time zone, years {EARLIEST_YEAR} to {LATEST_YEAR}"),
]


class Strict(BaseModel):
    """A request model: unknown fields, over-long texts and control characters are refused."""

    model_config = ConfigDict(extra="forbid", str_max_length=1000)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        found = _CONTROL.search(value) if isinstance(value, str) else None
        if found is not None:
            code = f"U+{ord(found.group()):04X}"
            raise ValueError(f"must not contain control characters ({code} at {found.start()})")
        return value


class CustomerIn(Strict):
    phone: str | None = Field(default=None, max_length=40, examples=["+46701234567"])
    email: str | None = Field(
        default=None,
        max_length=254,
        description=(
            "compared lower-cased; internationalised addresses are accepted: a non-ASCII domain"
            " is sent in its ASCII (IDNA) form, a non-ASCII part before the @ needs an SMTP"
            " server that offers SMTPUTF8 (RFC 6531), without which the survey fails with the"
            " error category smtputf8_unsupported"
        ),
        examples=["kund@example.se", "användare@exempel.se"],
    )
    language: Annotated[str | None, AfterValidator(_language_tag)] = Field(
        default=None, max_length=35, description="BCP 47; unsupported languages fall back"
    )
    ref: Annotated[str | None, AfterValidator(_text)] = Field(
        default=None, max_length=200, description="the organisation's customer reference"
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value and value.strip() else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise_email(value) if value and value.strip() else None


class DoNotSurveyIn(Strict):
    reason: str = Field(min_length=1, max_length=200, examples=["protected identity"])


class ContactIn(Strict):
    """One closed customer contact."""

    external_id: str = Field(min_length=1, max_length=200)
    case_ref: Annotated[str, AfterValidator(_case_ref)] = Field(min_length=1, max_length=200)
    channel: ChannelName
    opened_at: Timestamp | None = None
    closed_at: Timestamp
    agent: Text100 = None
    team: Text100 = None
    case_type: Text100 = None
    complaint: bool = False
    do_not_survey: DoNotSurveyIn | None = None
    customer: CustomerIn = Field(default_factory=CustomerIn)

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _times(self, info: ValidationInfo) -> ContactIn:
        now: datetime | None = (info.context or {}).get("now")
        if now is not None and self.closed_at > now + CLOCK_SKEW:
            raise ValueError("closed_at: must not be in the future")
        if self.opened_at is not None and self.opened_at > self.closed_at:
            raise ValueError("opened_at: must not be after closed_at")
        return self


class ContactBatch(Strict):
    # Items stay plain objects here: each is validated on its own (ingest.validate_items), so
    # that the 422 lists every invalid item by its index; the document shows them as Contact.
    contacts: list[dict[str, Any]] = Field(
        description="at most SURVEY_API_MAX_BATCH (5000) contacts; more is 413"
    )


class IngestResultOut(BaseModel):
    accepted: int
    duplicates: int


class OptOutIn(Strict):
    """An opt-out registered by an integration (e.g. the IVR or an agent on the customer's word).

    Its source is the key's owner, recorded by the server; a client cannot name one.
    """

    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    ref: Annotated[str | None, AfterValidator(_text)] = Field(default=None, max_length=200)
    agent: Text100 = None

    _phone = field_validator("phone")(CustomerIn._phone.__func__)  # type: ignore[attr-defined]
    _email = field_validator("email")(CustomerIn._email.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _some_identifier(self) -> OptOutIn:
        if not (self.phone or self.email or self.ref):
            raise ValueError("give at least one of phone, email or ref")
        return self


class CustomerIdentifierIn(Strict):
    """Which customer a data-protection request is about: exactly one identifier."""

    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    ref: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _exactly_one(self) -> CustomerIdentifierIn:
        if len([v for v in (self.phone, self.email, self.ref) if v and v.strip()]) != 1:
            raise ValueError("give exactly one of phone, email or ref")
        return self


class ErasureIn(CustomerIdentifierIn):
    dry_run: StrictBool = Field(
        default=False, description="list what would be erased, and change nothing"
    )
