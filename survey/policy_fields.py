"""The sampling policy's fields: each one's type, default and rule, in one place.

The environment gives each its first value (survey.config.Settings inherits them); afterwards
audited policy versions override them (survey.sampling.policy), checked by the same rules.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class QuietHours:
    """A daily window (local time) in which no message is sent, e.g. 20:00-09:00."""

    def __init__(self, start: time, end: time) -> None:
        self.start, self.end = start, end

    def __repr__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QuietHours) and (self.start, self.end) == (other.start, other.end)

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        text = text.strip()
        if not text:
            return None
        try:
            left, right = text.split("-")
            start, end = time.fromisoformat(left.strip()), time.fromisoformat(right.strip())
        except ValueError as exc:
            raise ValueError("expected HH:MM-HH:MM, e.g. 20:00-09:00, or empty for off") from exc
        if start == end:
            raise ValueError("start and end are equal; leave empty to turn quiet hours off")
        return cls(start, end)

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def at_least(minimum: int) -> AfterValidator:
    """The rule of a count: `minimum` or more."""

    def check(value: int) -> int:
        if value < minimum:
            raise ValueError(f"must be {minimum} or more")
        return value

    return AfterValidator(check)


def _share(value: str) -> str:
    """A decimal number from 0 to 1 (a sampling rate), kept as written."""
    text = value.strip()
    if not _is_share(text):
        raise ValueError("must be a decimal number between 0 and 1, e.g. 0.2")
    return text


def _is_share(text: str) -> bool:
    try:
        rate = Decimal(text)
    except InvalidOperation:
        return False
    return rate.is_finite() and 0 <= rate <= 1


def _quiet_hours(value: str) -> str:
    QuietHours.parse(value)
    return value.strip()


class PolicySettings(BaseModel):
    """The settings a policy change may override (sampling.policy): type, default and rule.

    The environment gives the starting value of each, and a policy change is checked by the
    same rule, so a field added here is a policy key too.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sampling_rate: Annotated[str, AfterValidator(_share)] = "0.2"
    send_delay_minutes: Annotated[int, at_least(0)] = 60
    quiet_hours: Annotated[str, AfterValidator(_quiet_hours)] = "20:00-09:00"
    frequency_cap_days: Annotated[int, at_least(0)] = 30
    max_contact_age_hours: Annotated[int, at_least(0)] = 72
    max_postpone_hours: Annotated[int, at_least(0)] = 72
    expiry_days: Annotated[int, at_least(1)] = 7
    reminder_after_hours: Annotated[int, at_least(0)] = 48

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours)
