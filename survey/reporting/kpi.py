"""Contact-stream KPIs of Bilaga 2: repeat-contact ratio, full resolution time, complaint share,
and the customer-perceived first-contact resolution, by the report's groupings.

A contact carries the local (Europe/Stockholm) date of its closure and a case that of its last
closure, both fixed at ingest: the period is a range of those dates and the day, ISO week and
month labels are computed from them by the database, as the surveys carry theirs. No statement
grows with the number of days, weeks or months in the period.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlmodel import Session, col

from survey.models import Actor, Case, Contact
from survey.reporting import stats
from survey.reporting.counting import local_midnight
from survey.reporting.grouping import TIME_KEYS, contact_key_column, key_label
from survey.reporting.report import ReportRequest, satisfaction_report, sort_key
from survey.store import store_of

PERCENTILES = (0.5, 0.9)
Key = tuple[Any, ...]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's local-midnight limits as instants (to exclusive)."""
    return local_midnight(start), local_midnight(end)


def _contact_key(session: Session, key: str, local_day: Any) -> ColumnElement[Any]:
    if key in TIME_KEYS:
        return store_of(session).period_label(local_day, key).label(key_label(key))
    return contact_key_column(key)


def _within(local_day: Any, request: ReportRequest) -> list[ColumnElement[bool]]:
    return [local_day >= request.start, local_day < request.end]


def contact_counts_query(session: Session, request: ReportRequest) -> Select[Any]:
    """Contacts, cases, complaints and do_not_survey contacts closed in the period, per group."""
    local_day = col(Contact.closed_local_date)
    keys = [_contact_key(session, k, local_day) for k in request.group_by]
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
        .where(*_within(local_day, request), *_actor_filter(request))
    )
    return query.group_by(*keys) if keys else query


def contact_counts(session: Session, request: ReportRequest) -> dict[Key, dict[str, int]]:
    result = {}
    for row in session.execute(contact_counts_query(session, request)).mappings():
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


def resolved_cases_query(session: Session, request: ReportRequest) -> Select[Any]:
    """Cases last closed in the period with the attributes of their last closed contact."""
    local_day = col(Case.last_closed_local_date)
    keys = [_contact_key(session, k, local_day) for k in request.group_by]
    seconds = _duration_seconds(session).label("seconds")
    opened = col(Case.first_opened_at).is_not(None)
    if request.actor_id is None and all(k in TIME_KEYS for k in request.group_by):
        # By time alone the case row has all it takes: finding each case's last contact
        # (a join the planner misjudges, on two correlated columns) is most of the cost.
        return select(*keys, seconds).where(opened, *_within(local_day, request))
    last_contact = (
        select(col(Contact.case_ref), func.min(col(Contact.id)).label("contact_id"))
        .join(
            Case,
            and_(
                col(Case.case_ref) == col(Contact.case_ref),
                col(Case.last_closed_at) == col(Contact.closed_at),
            ),
        )
        .where(*_within(local_day, request))
        .group_by(col(Contact.case_ref))
        .subquery()
    )
    return (
        select(*keys, seconds)
        .select_from(Case)
        .join(last_contact, last_contact.c.case_ref == col(Case.case_ref))
        .join(Contact, col(Contact.id) == last_contact.c.contact_id)
        .join(Actor, col(Actor.id) == col(Contact.actor_id))
        .where(opened, *_actor_filter(request))
    )


def _resolution_times(session: Session, request: ReportRequest) -> dict[Key, dict[str, Any]]:
    """Per group: the number of resolved cases and the median and 90th percentile in hours."""
    query = resolved_cases_query(session, request)
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
    cases = resolved_cases_query(session, request).subquery()
    keys = [cases.c[key_label(k)] for k in request.group_by]
    within = func.coalesce(func.sum(case((cases.c.seconds <= seconds, 1), else_=0)), 0)
    query = select(*keys, within.label("within"), func.count().label("n")).select_from(cases)
    if keys:
        query = query.group_by(*keys)
    return {
        tuple(row[: len(keys)]): (int(row.within), int(row.n)) for row in session.execute(query)
    }
