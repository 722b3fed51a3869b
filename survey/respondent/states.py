"""What a survey's page shows, and the statements that read and open it.

`page_state` is the rule; `still_open` is its `open` written in SQL, for the statements that
decide in the database (tests/integration/test_survey_page_cost.py holds the two equal, on
both databases, at each boundary of the expiry).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update

from survey.errors import Conflict
from survey.models import OPEN_RESPONSE_STATES, DeliveryStatus, ResponseStatus, Survey

OPEN = OPEN_RESPONSE_STATES
SURVEY: Table = Survey.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class SurveyView:
    """What the respondent's pages read of a survey, loaded without the ORM.

    The use cases take it or a Survey alike.
    """

    id: int
    questionnaire: str
    language: str
    delivery_status: str
    response_status: str
    sent_at: datetime | None
    opened_at: datetime | None
    expires_at: datetime | None
    channel: str  # of the contact it is about, named on the page with closed_local_date
    closed_local_date: date
    asked_items: str | None  # the rotating items it asks (survey/matrix.py); None: all


AnySurvey = Survey | SurveyView
VIEW_FIELDS = frozenset(f.name for f in fields(SurveyView))


class PageState(StrEnum):
    """What the survey page shows."""

    open = "open"
    answered = "answered"
    declined = "declined"
    expired = "expired"
    opted_out = "opted_out"


class SurveyClosed(Conflict):
    """The survey can no longer be answered or declined; `state` says why."""

    def __init__(self, state: PageState) -> None:
        super().__init__(f"the survey is {state}")
        self.state = state


def page_state(survey: AnySurvey, *, now: datetime, expiry_days: int) -> PageState:
    status = survey.response_status
    if status in (ResponseStatus.answered, ResponseStatus.declined, ResponseStatus.opted_out):
        return PageState(status)
    if status == ResponseStatus.expired or survey.delivery_status == DeliveryStatus.cancelled:
        return PageState.expired
    expires_at = survey.expires_at
    if expires_at is None and survey.sent_at is not None:
        expires_at = survey.sent_at + timedelta(days=expiry_days)
    if expires_at is not None and now >= expires_at:
        return PageState.expired
    return PageState.open


def still_open() -> Any:
    """page_state's `open` in SQL: not cancelled and not past its expiry (:now, :sent_after)."""
    return and_(
        SURVEY.c.delivery_status != DeliveryStatus.cancelled,
        or_(
            SURVEY.c.expires_at > bindparam("now"),
            and_(
                SURVEY.c.expires_at.is_(None),
                or_(SURVEY.c.sent_at.is_(None), SURVEY.c.sent_at > bindparam("sent_after")),
            ),
        ),
    )


def still_open_params(now: datetime, expiry_days: int) -> dict[str, datetime]:
    """The parameters of still_open."""
    return {"now": now, "sent_after": now - timedelta(days=expiry_days)}


def may_open(row: Any) -> bool:
    """Whether a view of the survey read as `row` may be its first opening."""
    return bool(row.response_status == ResponseStatus.pending)


# A page view's one read: only the columns above, a statement built once (its compiled form is
# cached by SQLAlchemy), with no identity map or instance to build.
VIEW = select(*(SURVEY.c[f.name] for f in fields(SurveyView))).where(
    SURVEY.c.id == bindparam("survey_id")
)
# The first opening of a survey still open (pending -> opened).
OPENED = (
    update(SURVEY)
    .where(
        SURVEY.c.id == bindparam("survey_id"),
        SURVEY.c.response_status == ResponseStatus.pending,
        still_open(),
    )
    .values(response_status=ResponseStatus.opened, opened_at=bindparam("now"))
)
