"""The response funnel (SPEC section 7): how many cases reached each stage, per group.

Each count is the number of cases that reached at least that stage: closed (decided) cases,
drawn, suppressed by the rule that stopped them, scheduled (a survey), then the survey's path.
Undrawn and suppressed cases belong to the group of their last closed contact; a survey to the
group of the contact it is attributed to. The AAPOR rates follow from the counts:
I = answered, R = declined + opted out after sending, NC = the other sent, UH = unknown;
failed and cancelled are not eligible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from survey.models import (
    CancelCause,
    Contact,
    DecisionReason,
    DeliveryStatus,
    ResponseStatus,
    SamplingDecision,
    Survey,
)
from survey.models.accounts import Actor
from survey.reporting import stats
from survey.reporting.counting import REACHED, count_if, local_midnight, sent_condition, time_label
from survey.reporting.grouping import GROUPINGS, TIME_KEYS, key_label

Key = tuple[Any, ...]

SUPPRESSION_REASONS = tuple(str(r) for r in DecisionReason if r not in ("selected", "not_drawn"))
CANCEL_CAUSES = (*(str(c) for c in CancelCause), "other")
# A survey's stages after it was scheduled, in the funnel's order.
SURVEY_STAGES = (
    "sent",
    "delivered",
    "failed",
    "unknown",
    "opened",
    "answered",
    "declined",
    "expired",
    "opted_out_after_send",
)
RATE_DEFINITIONS = (
    "AAPOR: RR1 = I/(I+R+NC+UH), COOP1 = I/(I+R), REF1 = R/(I+R+NC+UH); I = answered, "
    "R = declined + opted out after sending, NC = other sent, UH = unknown; failed and "
    "cancelled surveys are not eligible"
)


STAGE = "stage_"  # the label prefix of the survey stage columns in the report's scan


def survey_stage_columns() -> list[ColumnElement[Any]]:
    """The survey stages as sums over the report's one scan of the surveys (labels STAGE...)."""
    delivery, response = col(Survey.delivery_status), col(Survey.response_status)
    sent = sent_condition()
    opened = or_(col(Survey.opened_at).is_not(None), response.in_(REACHED))
    cancelled = delivery == DeliveryStatus.cancelled
    stages: dict[str, ColumnElement[bool]] = {
        "sent": sent,
        "delivered": or_(delivery == DeliveryStatus.delivered, opened),
        "failed": delivery == DeliveryStatus.failed,
        "unknown": and_(delivery == DeliveryStatus.unknown, ~opened),
        "opened": opened,
        "answered": response == ResponseStatus.answered,
        "declined": response == ResponseStatus.declined,
        "expired": response == ResponseStatus.expired,
        "opted_out_after_send": and_(response == ResponseStatus.opted_out, sent),
        **{
            f"cancelled_{cause}": and_(cancelled, col(Survey.cancel_cause) == cause)
            for cause in CancelCause
        },
        "cancelled_other": and_(cancelled, col(Survey.cancel_cause).is_(None)),
    }
    return [
        func.count().label(f"{STAGE}scheduled"),
        *(count_if(test).label(f"{STAGE}{name}") for name, test in stages.items()),
    ]


def last_contact_id() -> Any:
    """The case's last closed contact at its decision (the lowest id among equal times)."""
    return (
        select(func.min(col(Contact.id)))
        .where(
            col(Contact.case_ref) == col(SamplingDecision.case_ref),
            col(Contact.closed_at) == col(SamplingDecision.last_closed_at),
        )
        .correlate(SamplingDecision)
        .scalar_subquery()
    )


def _decision_key_column(key: str) -> ColumnElement[Any]:
    if key in TIME_KEYS:  # bucketed from the local date below
        return col(SamplingDecision.closed_local_date).label(key_label(key))
    column: Any = GROUPINGS[key].contact
    return column.label(key_label(key))  # type: ignore[no-any-return]


def _decision_counts(
    session: Session, start: date, end: date, keys: tuple[str, ...], actor_id: int | None
) -> dict[Key, dict[str, int]]:
    """Cases decided without a survey: closed, drawn, and suppressed by reason."""
    columns = [_decision_key_column(k) for k in keys]
    reason, drawn = col(SamplingDecision.reason), col(SamplingDecision.drawn)
    counts = [
        func.count().label("closed_cases"),
        count_if(drawn.is_(True)).label("drawn"),
        *(count_if(reason == r).label(f"suppressed_{r}") for r in SUPPRESSION_REASONS),
    ]
    query = (
        select(*columns, *counts)
        .select_from(SamplingDecision)
        .join(Contact, col(Contact.id) == last_contact_id())
        .where(
            col(SamplingDecision.last_closed_at) >= local_midnight(start),
            col(SamplingDecision.last_closed_at) < local_midnight(end),
            reason != DecisionReason.selected,
        )
    )
    if "actor" in keys:
        query = query.join(Actor, col(Actor.id) == col(Contact.actor_id))
    if actor_id is not None:
        query = query.where(col(Contact.actor_id) == actor_id)
    if columns:
        query = query.group_by(*columns)
    return _collect(session.execute(query).mappings(), keys, _time_bucket)


def _time_bucket(value: Any, key: str) -> Any:
    if key not in TIME_KEYS or not isinstance(value, date):
        return value
    return time_label(value, key)


def _collect(rows: Iterable[Any], keys: tuple[str, ...], bucket: Any) -> dict[Key, dict[str, int]]:
    found: dict[Key, dict[str, int]] = {}
    for row in rows:
        values = dict(row)
        key = tuple(_plain(bucket(values.pop(key_label(k)), k)) for k in keys)
        into = found.setdefault(key, {})
        for name, value in values.items():
            into[name] = into.get(name, 0) + int(value)
    return found


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def funnel_counts(
    session: Session,
    start: date,
    end: date,
    keys: tuple[str, ...],
    actor_id: int | None,
    surveys: dict[Key, dict[str, int]],
) -> dict[Key, dict[str, int]]:
    """The raw stage counts per group key: the survey stages counted by the report's scan,
    and the cases decided without a survey."""
    decisions = _decision_counts(session, start, end, keys, actor_id)
    merged: dict[Key, dict[str, int]] = {}
    for source in (surveys, decisions):
        for key, counts in source.items():
            into = merged.setdefault(key, {})
            for name, value in counts.items():
                into[name] = into.get(name, 0) + value
    return merged


def funnel(counts: dict[str, int]) -> dict[str, Any]:
    """The SPEC section 7 funnel object from a group's raw counts."""
    scheduled = counts.get("scheduled", 0)
    return {
        "closed_cases": counts.get("closed_cases", 0) + scheduled,
        "drawn": counts.get("drawn", 0) + scheduled,
        "suppressed": {r: counts.get(f"suppressed_{r}", 0) for r in SUPPRESSION_REASONS},
        "scheduled": scheduled,
        **{stage: counts.get(stage, 0) for stage in SURVEY_STAGES},
        "cancelled_before_send": {c: counts.get(f"cancelled_{c}", 0) for c in CANCEL_CAUSES},
    }


def rates(stages: dict[str, Any]) -> dict[str, Any]:
    """RR1, COOP1 and REF1 of a funnel."""
    answered = stages["answered"]
    refused = stages["declined"] + stages["opted_out_after_send"]
    no_contact = max(stages["sent"] - answered - refused, 0)
    eligible = answered + refused + no_contact + stages["unknown"]
    return {
        "response": stats.share(answered, eligible),
        "cooperation": stats.share(answered, answered + refused),
        "refusal": stats.share(refused, eligible),
        "definitions": RATE_DEFINITIONS,
    }
