"""The keys a report groups by, and the column each key reads on surveys and on contacts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col

from survey.models import Actor, Contact, Survey


@dataclass(frozen=True)
class Grouping:
    survey: Any  # the satisfaction report groups surveys by this
    contact: Any | None  # the contact KPIs group contacts by this; None: a time key


# Surveys carry their local day, week and month; contacts and cases their local closure date,
# which the KPIs label by day, week or month in the query (Store.period_label).
GROUPINGS: dict[str, Grouping] = {
    "day": Grouping(col(Survey.closed_local_date), None),
    "week": Grouping(col(Survey.closed_week), None),
    "month": Grouping(col(Survey.closed_month), None),
    "channel": Grouping(col(Survey.channel), col(Contact.channel)),
    "actor": Grouping(col(Actor.name), col(Actor.name)),
    "team": Grouping(col(Survey.team), col(Contact.team)),
    "agent": Grouping(col(Survey.agent), col(Contact.agent)),
    "case_type": Grouping(col(Survey.case_type), col(Contact.case_type)),
    "language": Grouping(col(Survey.language), col(Contact.customer_language)),
}
GROUP_KEYS = tuple(GROUPINGS)
TIME_KEYS = tuple(key for key, grouping in GROUPINGS.items() if grouping.contact is None)


def survey_key_column(key: str) -> ColumnElement[Any]:
    """The survey attribute a report groups by, labelled for the result row."""
    column: ColumnElement[Any] = GROUPINGS[key].survey
    return column.label(key_label(key))


def contact_key_column(key: str) -> ColumnElement[Any]:
    """The contact attribute the KPIs group by (not a time key), labelled for the result row."""
    column: ColumnElement[Any] | None = GROUPINGS[key].contact
    assert column is not None, f"{key} is a time key: the KPIs label the local closure date"
    return column.label(key_label(key))


def key_label(key: str) -> str:
    """The name of a group key's column in a result row."""
    return f"k_{key}"
