"""Contact-stream KPIs of Bilaga 2: repeat-contact ratio, full resolution time, complaint share,
and the customer-perceived first-contact resolution, by the report's groupings.

Contacts carry only a UTC closure time, so the Stockholm day, ISO week and month of a contact are
found by comparing with the local-midnight boundaries of the period (computed here, DST-aware).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlmodel import Session, col

from survey.models import Actor, Case, Contact
from survey.reporting import stats
from survey.reporting.counting import local_midnight, time_label
from survey.reporting.grouping import TIME_KEYS, contact_key_column, key_label
from survey.reporting.report import ReportRequest, satisfaction_report, sort_key
from survey.store import store_of

PERCENTILES = (0.5, 0.9)
Key = tuple[Any, ...]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's local-midnight limits as instants (to exclusive)."""
    return local_midnight(start), local_midnight(end)


def time_buckets(start: date, end: date, key: str) -> list[tuple[str, datetime]]:
    """(label, exclusive upper limit) of each day, week or month of the period, in order."""
    buckets: list[tuple[str, datetime]] = []
    day = start
    while day < end:
        label = time_label(day, key)
        if buckets and buckets[-1][0] == label:
            buckets.pop()
        buckets.append((label, local_midnight(day + timedelta(days=1))))
        day += timedelta(days=1)
    return buckets


def bucket_column(moment: Any, start: date, end: date, key: str) -> ColumnElement[Any]:
    """A CASE that names the local day, week or month of a timestamp within the period."""
    whens = [(moment < limit, literal(label)) for label, limit in time_buckets(start, end, key)]
    return case(*whens, else_=None)


def _contact_key(key: str, request: ReportRequest, moment: Any) -> ColumnElement[Any]:
    if key in TIME_KEYS:
        return bucket_column(moment, request.start, request.end, key).label(key_label(key))
    return contact_key_column(key)


def contact_counts(session: Session, request: ReportRequest) -> dict[Key, dict[str, int]]:
    """Contacts, cases, complaints and do_not_survey contacts closed in the period, per group."""
    low, high = period_bounds(request.start, request.end)
    closed = col(Contact.closed_at)
    keys = [_contact_key(k, request, closed) for k in request.group_by]
    query = (
        select(
            *keys,
            func.count().label("contacts"),
            func.count(func.distinct(col(Contact.case_ref))).label("cases"),
            func.coalesce(func.sum(case((col(Contact.complaint), 1), else_=0)), 0).label(
                "complaints"
            ),
            func.coalesce(func.sum(case((col(Contact.do_not_survey), 1), else_=0)), 0).label(
                "do_not_survey"
            ),
        )
        .select_from(Contact)
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .where(closed >= low, closed < high, *_actor_filter(request))
    )
    if keys:
        query = query.group_by(*keys)
    result = {}
    for row in session.execute(query).mappings():
        key = tuple(row[key_label(k)] for k in request.group_by)
        result[key] = {n: int(row[n]) for n in ("contacts", "cases", "complaints", "do_not_survey")}
    return result


def _actor_filter(request: ReportRequest) -> list[ColumnElement[bool]]:
    """Contacts of the request's actor, when it names one (a case counts for the actor of its
    last closed contact, as a survey is attributed)."""
    if request.actor_id is None:
        return []
    return [col(Contact.actor_id) == request.actor_id]


def _duration_seconds(session: Session) -> ColumnElement[Any]:
    return store_of(session).seconds_between(col(Case.last_closed_at), col(Case.first_opened_at))


def _resolved_cases(session: Session, request: ReportRequest) -> Any:
    """Cases last closed in the period with the attributes of their last closed contact."""
    low, high = period_bounds(request.start, request.end)
    last_contact = (
        select(col(Contact.case_ref), func.min(col(Contact.id)).label("contact_id"))
        .join(
            Case,
            and_(
                col(Case.case_ref) == col(Contact.case_ref),
                col(Case.last_closed_at) == col(Contact.closed_at),
            ),
        )
        .where(col(Case.last_closed_at) >= low, col(Case.last_closed_at) < high)
        .group_by(col(Contact.case_ref))
        .subquery()
    )
    keys = [_contact_key(k, request, col(Case.last_closed_at)) for k in request.group_by]
    return (
        select(*keys, _duration_seconds(session).label("seconds"))
        .select_from(Case)
        .join(last_contact, last_contact.c.case_ref == col(Case.case_ref))
        .join(Contact, col(Contact.id) == last_contact.c.contact_id)
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .where(col(Case.first_opened_at).is_not(None), *_actor_filter(request))
    )


def _resolution_times(session: Session, request: ReportRequest) -> dict[Key, dict[str, Any]]:
    """Per group: the number of resolved cases and the median and 90th percentile in hours."""
    query = _resolved_cases(session, request)
    names = [key_label(k) for k in request.group_by]
    found = store_of(session).percentiles(session, query, names, PERCENTILES)
    return {
        key: {
            "n": n,
            **{f"p{int(p * 100)}": _hours(v) for p, v in zip(PERCENTILES, values, strict=True)},
        }
        for key, (n, values) in found.items()
    }


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else float(seconds) / 3600.0


def contact_kpis(
    session: Session,
    request: ReportRequest,
    *,
    min_group_size: int,
    survey_report: dict[str, Any] | None = None,
    with_total: bool = True,
) -> dict[str, Any]:
    """The Bilaga 2 KPIs for a period and grouping, in the report's shape (groups and total).

    `survey_report`: the satisfaction report of the same request, if the caller has it already;
    `with_total=False`: no total (None), for a caller that wants some of the groups only."""
    counts = contact_counts(session, request)
    times = _resolution_times(session, request)
    if survey_report is None:
        survey_report = satisfaction_report(session, request, min_group_size=min_group_size)
    fcr = {tuple(g["key"].values()): g["fcr"] for g in survey_report["groups"]}
    keys = sorted(
        set(counts) | set(times) | set(fcr),
        key=lambda k: sort_key(dict(zip(request.group_by, k, strict=True))),
    )
    if request.group_by and with_total:
        total_request = request.ungrouped()
        total_counts = contact_counts(session, total_request).get((), {})
        total_times = _resolution_times(session, total_request).get((), {})
    else:  # ungrouped, the one group is the total: not counted twice
        total_counts, total_times = counts.get((), {}), times.get((), {})
    return {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "group_by": list(request.group_by),
        "groups": [
            {
                "key": dict(zip(request.group_by, key, strict=True)),
                **_figures(counts.get(key, {}), times.get(key, {}), fcr.get(key)),
            }
            for key in keys
        ],
        "total": _figures(total_counts, total_times, survey_report["total"]["fcr"])
        if with_total or not request.group_by
        else None,
    }


def _figures(
    counts: dict[str, int], times: dict[str, Any], fcr: dict[str, Any] | None
) -> dict[str, Any]:
    contacts = counts.get("contacts", 0)
    cases = counts.get("cases", 0)
    return {
        "contacts": contacts,
        "cases": cases,
        "repeat_contact_ratio": stats.share(contacts - cases, contacts),
        "complaints": counts.get("complaints", 0),
        "complaint_share": stats.share(counts.get("complaints", 0), contacts),
        "do_not_survey": counts.get("do_not_survey", 0),
        "resolution_time_hours": {
            "n": times.get("n", 0),
            "median": times.get("p50"),
            "p90": times.get("p90"),
        },
        "fcr": fcr or {"n": 0, "share": None},
    }


def resolution_within(
    session: Session, request: ReportRequest, seconds: float
) -> dict[Key, tuple[int, int]]:
    """Per group: the resolved cases that took at most `seconds`, and all resolved cases (a
    median's target is judged by them: targets.py)."""
    cases = _resolved_cases(session, request).subquery()
    keys = [cases.c[key_label(k)] for k in request.group_by]
    within = func.coalesce(func.sum(case((cases.c.seconds <= seconds, 1), else_=0)), 0)
    query = select(*keys, within.label("within"), func.count().label("n")).select_from(cases)
    if keys:
        query = query.group_by(*keys)
    return {
        tuple(row[: len(keys)]): (int(row.within), int(row.n)) for row in session.execute(query)
    }
