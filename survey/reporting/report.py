"""The satisfaction report (Bilaga 1, SPEC section 4): GROUP BY sums in SQL, finished by stats.

The database returns one row of counts and sums per group; the means, intervals and shares are
computed from those in Python, so that every figure is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlmodel import Session, col

from survey.errors import ServiceError
from survey.models import (
    CASE_HANDLING_ITEMS,
    CONTACT_EXPERIENCE_ITEMS,
    RESOLUTION_CHOICES,
    Actor,
    Response,
    SamplingDecision,
    Survey,
)
from survey.reporting import stats
from survey.reporting.counting import count_if, sent_condition
from survey.reporting.design import design_figures, sum_counts, with_funnel_only_groups
from survey.reporting.disclosure_control import RULES, disclosure_problem
from survey.reporting.disclosures import disclosures
from survey.reporting.funnel import STAGE, funnel_counts, survey_stage_columns
from survey.reporting.grouping import GROUP_KEYS, key_label, survey_key_column
from survey.reporting.items import asked_columns, item_rate, part_figures
from survey.reporting.measures import measure_figures, measure_sums
from survey.reporting.protection import hide_figures, measure_hidden, protect
from survey.reporting.weighted import RateSums, merge

CONTACT_ITEMS = CONTACT_EXPERIENCE_ITEMS
CASE_ITEMS = CASE_HANDLING_ITEMS
RESOLUTIONS = RESOLUTION_CHOICES
# The items matrix sampling rotates (survey/matrix.py): per-item asked counts and rates.
ROTATING_ITEMS = (*CONTACT_ITEMS, *CASE_ITEMS, "resolution", "fcr")


class InvalidReportRequest(ServiceError):
    """A report request refused; `rule` names a disclosure rule it breaks (disclosure.RULES)."""

    def __init__(self, message: str, *, params: Sequence[str] = (), rule: str | None = None):
        super().__init__(message)
        self.params = tuple(params)
        self.rule = rule


@dataclass(frozen=True)
class ReportRequest:
    start: date
    end: date  # exclusive
    group_by: tuple[str, ...] = field(default=())
    actor_id: int | None = None  # only surveys (and contacts) attributed to this actor

    def ungrouped(self) -> ReportRequest:
        """The same period and filter without grouping (the total)."""
        return replace(self, group_by=())

    @classmethod
    def parse(
        cls,
        start: str | None,
        end: str | None,
        group_by: Iterable[str],
        *,
        actor_id: int | None = None,
        agent_reporting: bool = True,
    ) -> ReportRequest:
        """Validate the period and grouping given as text (API, CLI, admin forms), and that
        the report may be published (disclosure rules; SURVEY_AGENT_REPORTING)."""
        if not start or not end:
            raise InvalidReportRequest("give both 'from' and 'to' as dates (YYYY-MM-DD)")
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            raise InvalidReportRequest("'from' and 'to' must be dates (YYYY-MM-DD)") from None
        if last <= first:
            raise InvalidReportRequest("'to' must be after 'from' (it is exclusive)")
        keys: list[str] = []
        for raw in group_by:
            for key in (k.strip() for k in raw.split(",")):
                if key and key not in GROUP_KEYS:
                    raise InvalidReportRequest(
                        f"unknown group_by {key!r}; choose from {', '.join(GROUP_KEYS)}"
                    )
                if key and key not in keys:
                    keys.append(key)
        check_period_length(first, last, keys)
        rule = disclosure_problem(
            first, last, keys, agent_reporting=agent_reporting, measured=actor_id is not None
        )
        if rule is not None:
            params, message = RULES[rule]
            raise InvalidReportRequest(message, params=params, rule=rule)
        return cls(first, last, tuple(keys), actor_id)


# The longest period per time grouping (SPEC section 7): a report's cost stays bounded.
MAX_PERIOD = {"day": (366, "days"), "week": (261, "weeks"), "month": (120, "months")}
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def check_period_length(first: date, last: date, keys: Iterable[str]) -> None:
    """InvalidReportRequest when the period lies outside 1900-2100 or is longer than its time
    grouping allows."""
    if first < EARLIEST or last > LATEST:
        raise InvalidReportRequest("'from' and 'to' must lie between 1900-01-01 and 2100-12-31")
    lengths = {
        "day": (last - first).days,
        "week": -(-(last - first).days // 7),
        "month": (last.year - first.year) * 12 + last.month - first.month + (last.day > first.day),
    }
    for key in keys:
        if key in MAX_PERIOD and lengths[key] > MAX_PERIOD[key][0]:
            limit, unit = MAX_PERIOD[key]
            raise InvalidReportRequest(
                f"a report grouped by {key} covers at most {limit} {unit}; "
                f"this one covers {lengths[key]}"
            )


def _aggregates() -> list[ColumnElement[Any]]:
    overall = col(Response.overall)
    columns: list[ColumnElement[Any]] = [
        func.count().label("surveys"),
        count_if(sent_condition()).label("sent"),
        func.count(overall).label("responses"),
        count_if(col(Survey.response_status) == "declined").label("declined"),
        # Only opt-outs after the survey was sent: a cancellation before it is in the funnel.
        count_if(and_(col(Survey.response_status) == "opted_out", sent_condition())).label(
            "opted_out"
        ),
        func.coalesce(func.sum(overall), 0).label("overall_sum"),
        func.coalesce(func.sum(overall * overall), 0).label("overall_sq"),
        count_if(overall >= 4).label("csat_yes"),
        func.count(col(Response.fcr)).label("fcr_n"),
        count_if(col(Response.fcr) == "yes").label("fcr_yes"),
        func.count(col(Response.resolution)).label("resolution_n"),
    ]
    for answer in RESOLUTIONS:
        columns.append(count_if(col(Response.resolution) == answer).label(f"resolution_{answer}"))
    for item in CONTACT_ITEMS + CASE_ITEMS:
        column = getattr(Response, item)
        columns.append(func.count(column).label(f"{item}_n"))
        columns.append(func.coalesce(func.sum(column), 0).label(f"{item}_sum"))
    return columns + asked_columns(ROTATING_ITEMS)


def survey_filter(request: ReportRequest) -> list[ColumnElement[bool]]:
    """The surveys a request covers: its period, and its actor when it names one."""
    conditions = [
        col(Survey.closed_local_date) >= request.start,
        col(Survey.closed_local_date) < request.end,
    ]
    if request.actor_id is not None:
        conditions.append(col(Survey.actor_id) == request.actor_id)
    return conditions


def _base(columns: Sequence[ColumnElement[Any]], request: ReportRequest) -> Select[Any]:
    # Only answered questionnaires (overall given) count: a decline or an empty form is not one.
    query = (
        select(*columns)
        .select_from(Survey)
        .outerjoin(
            Response,
            and_(col(Response.survey_id) == col(Survey.id), col(Response.overall).is_not(None)),
        )
        .where(*survey_filter(request))
    )
    if "actor" in request.group_by:
        query = query.join(Actor, col(Actor.id) == col(Survey.actor_id))
    return query


@dataclass
class Scan:
    """What one pass over the period's surveys gives: per group, the report's counts and sums,
    the overall answers' sums per deciding rate (the weights), and the survey funnel stages."""

    rows: list[dict[str, Any]]
    by_rate: dict[tuple[Any, ...], dict[str, RateSums]]
    stages: dict[tuple[Any, ...], dict[str, int]]


def scan_surveys(session: Session, request: ReportRequest) -> Scan:
    """One query, grouped by the keys and the deciding policy's rate."""
    keys = [survey_key_column(k) for k in request.group_by]
    rate: Any = col(SamplingDecision.rate).label("rate")
    query = _base([*keys, rate, *_aggregates(), *survey_stage_columns()], request).join(
        SamplingDecision, col(SamplingDecision.id) == col(Survey.decision_id)
    )
    query = query.group_by(*keys, rate)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    scan = Scan([], {}, {})
    for row in session.execute(query).mappings():
        values = dict(row)
        key = {k: _key_value(values.pop(key_label(k))) for k in request.group_by}
        group = tuple(key.values())
        counts = {name: int(v) for name, v in values.items() if name != "rate"}
        into = rows.setdefault(group, {"key": key})
        stages = scan.stages.setdefault(group, {})
        for name, value in counts.items():
            if name.startswith(STAGE):
                stages[name[len(STAGE) :]] = stages.get(name[len(STAGE) :], 0) + value
            else:
                into[name] = into.get(name, 0) + value
        scan.by_rate.setdefault(group, {})[str(values["rate"])] = RateSums(
            counts["responses"], counts["overall_sum"], counts["overall_sq"], counts["csat_yes"]
        )
    scan.rows = list(rows.values())
    return scan


def _key_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def sort_key(key: dict[str, Any]) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, str(value)) for value in key.values())


def satisfaction_report(
    session: Session,
    request: ReportRequest,
    *,
    min_group_size: int,
    measures: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The report of SPEC sections 4 and 7 for a period and grouping; with `measures` (question
    id -> nps or ces, see reporting/measures.py) each group and the total gain `measures`."""
    scan = scan_surveys(session, request)
    args = (session, request.start, request.end, request.group_by, request.actor_id)
    stages = funnel_counts(*args, scan.stages)
    sums = scan.by_rate
    rows = with_funnel_only_groups(scan.rows, stages, request.group_by)
    rows.sort(key=lambda r: sort_key(r["key"]))
    # Every aggregate is a count or a sum, so the total is the sum of the groups: one scan.
    total = _sum_rows(rows)
    keys = [tuple(row["key"].values()) for row in rows]
    protection = protect(rows, [sums.get(key, {}) for key in keys], min_group_size)
    hidden = protection.primary
    groups = []
    for i, (row, key) in enumerate(zip(rows, keys, strict=True)):
        group = {
            "key": row["key"],
            **figures(row, suppressed=i in hidden),
            **design_figures(stages.get(key, {}), sums.get(key, {}), suppressed=i in hidden),
        }
        hide_figures(group, protection.figures.get(i, set()))
        groups.append(group)
    total_hidden = total.get("responses", 0) < min_group_size
    total_measures: dict[str, Any] = {}
    if measures:
        measured = measure_sums(session, survey_filter(request), request.group_by, measures)
        found = [measured.get(key, {}) for key in keys]
        for group, sums_of, hidden_of in zip(
            groups, found, measure_hidden(found, measures, hidden), strict=True
        ):
            group["measures"] = measure_figures(sums_of, measures, suppressed=hidden_of)
        total_measures = measure_figures(
            sum_counts(measured.values()), measures, suppressed=total_hidden
        )
    return {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "group_by": list(request.group_by),
        "groups": groups,
        "total": {
            **figures(total, suppressed=total_hidden),
            **({"measures": total_measures} if measures else {}),
            **design_figures(
                sum_counts(stages.values()), merge(list(sums.values())), suppressed=total_hidden
            ),
        },
        # An actor's view never shows them (settling.as_seen_by_an_actor): not computed.
        "disclosures": disclosures(session, request) if request.actor_id is None else {},
    }


def _sum_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for row in rows:
        for name, value in row.items():
            if name != "key":
                total[name] = total.get(name, 0) + value
    return total


def figures(row: dict[str, Any], *, suppressed: bool) -> dict[str, Any]:
    """The report fields of one group from its counts and sums; scores null when suppressed."""
    n = row.get("responses", 0)
    sent = row.get("sent", 0)
    result: dict[str, Any] = {
        "sent": sent,
        "responses": n,
        "response_rate": stats.share(n, sent),
        "declined": row.get("declined", 0),
        "opted_out": row.get("opted_out", 0),
    }

    def score(value: Any) -> Any:
        return None if suppressed else value

    mean_ci = stats.t_interval(n, row.get("overall_sum", 0), row.get("overall_sq", 0))
    csat_ci = stats.wilson_interval(row.get("csat_yes", 0), n)
    result["overall"] = {
        "n": n,
        "mean": score(stats.mean_from_sums(n, row.get("overall_sum", 0))),
        "mean_ci95": score(list(mean_ci) if mean_ci else None),
        "csat": score(stats.share(row.get("csat_yes", 0), n)),
        "csat_ci95": score(list(csat_ci) if csat_ci else None),
    }
    result["contact_experience"] = part_figures(row, CONTACT_ITEMS, suppressed)
    result["case_handling"] = part_figures(row, CASE_ITEMS, suppressed)
    resolution_n = row.get("resolution_n", 0)
    result["resolution"] = {
        "n": resolution_n,
        **{
            answer: score(stats.share(row.get(f"resolution_{answer}", 0), resolution_n))
            for answer in RESOLUTIONS
        },
        **item_rate(row, "resolution", resolution_n),
    }
    fcr_n = row.get("fcr_n", 0)
    result["fcr"] = {
        "n": fcr_n,
        "share": score(stats.share(row.get("fcr_yes", 0), fcr_n)),
        **item_rate(row, "fcr", fcr_n),
    }
    return result
