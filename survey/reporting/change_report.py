"""GET /api/v1/reports/change: each group's overall mean and CSAT against the previous period.

The previous period is the one of equal length just before `from`: the calendar month before
when the period is one calendar month, else as many days. Both periods obey the satisfaction
report's publication rules, and a group's figures are null where either period hides them
(fewer answers than the minimum size, or complementary suppression).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlmodel import Session

from survey.reporting import stats
from survey.reporting.change import PeriodSums, csat_change, mean_change
from survey.reporting.disclosure_control import next_month
from survey.reporting.grouping import TIME_KEYS
from survey.reporting.protection import overall_hidden
from survey.reporting.report import (
    InvalidReportRequest,
    ReportRequest,
    check_period_length,
    scan_surveys,
    sort_key,
)

# The fields an actor's key may see (all of them are answered figures); an allow-list, so that
# a field added later stays hidden until someone decides otherwise.
GROUP_FIELDS = ("key", "current", "previous", "mean_diff", "csat_diff")
REPORT_FIELDS = ("from", "to", "previous", "group_by", "groups", "total")


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of equal length just before [start, end)."""
    if start.day == 1 and end == next_month(start):
        return date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1), start
    return start - (end - start), start


def check_change_request(request: ReportRequest) -> None:
    """InvalidReportRequest when the periods cannot be compared group by group: a time key
    would give the two periods different groups."""
    times = [key for key in request.group_by if key in TIME_KEYS]
    if times:
        raise InvalidReportRequest(
            f"a change compares two whole periods: group_by cannot be {', '.join(times)}",
            params=["group_by"],
        )
    start, end = previous_period(request.start, request.end)
    check_period_length(start, end, request.group_by)


def _sums(row: dict[str, Any] | None) -> PeriodSums:
    if row is None:
        return PeriodSums(0, 0.0, 0.0, 0)
    return PeriodSums(row["responses"], row["overall_sum"], row["overall_sq"], row["csat_yes"])


def _total(sums: list[PeriodSums]) -> PeriodSums:
    return PeriodSums(
        sum(s.n for s in sums),
        sum(s.total for s in sums),
        sum(s.total_sq for s in sums),
        sum(s.csat for s in sums),
    )


def _period(sums: PeriodSums, suppressed: bool) -> dict[str, Any]:
    return {
        "n": sums.n,
        "mean": None if suppressed else stats.mean_from_sums(sums.n, sums.total),
        "csat": None if suppressed else stats.share(sums.csat, sums.n),
    }


def compared(current: PeriodSums, previous: PeriodSums, *, suppressed: bool) -> dict[str, Any]:
    """Both periods' figures and the two differences; nulls when suppressed."""
    hidden = {"value": None, "ci95": None, "significant": None}
    return {
        "current": _period(current, suppressed),
        "previous": _period(previous, suppressed),
        "mean_diff": hidden if suppressed else mean_change(current, previous),
        "csat_diff": hidden if suppressed else csat_change(current, previous),
    }


def change_report(
    session: Session, request: ReportRequest, *, min_group_size: int
) -> dict[str, Any]:
    """The change report for a validated request (check_change_request)."""
    start, end = previous_period(request.start, request.end)
    before = replace(request, start=start, end=end)
    now_rows = {tuple(r["key"].values()): r for r in scan_surveys(session, request).rows}
    then_rows = {tuple(r["key"].values()): r for r in scan_surveys(session, before).rows}
    names = {k: row["key"] for k, row in {**then_rows, **now_rows}.items()}
    keys = sorted(names, key=lambda k: sort_key(names[k]))
    current = {k: _sums(now_rows.get(k)) for k in keys}
    previous = {k: _sums(then_rows.get(k)) for k in keys}
    hidden = {
        keys[i]
        for rows in (now_rows, then_rows)
        for i in overall_hidden([rows.get(k, {}) for k in keys], min_group_size)
    }
    groups = [
        {
            "key": names[k],
            **compared(current[k], previous[k], suppressed=k in hidden),
        }
        for k in keys
    ]
    now_total, then_total = _total(list(current.values())), _total(list(previous.values()))
    total_hidden = min(now_total.n, then_total.n) < min_group_size
    return {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "previous": {"from": start.isoformat(), "to": end.isoformat()},
        "group_by": list(request.group_by),
        "groups": groups,
        "total": compared(now_total, then_total, suppressed=total_hidden),
    }


def change_as_seen_by_an_actor(report: dict[str, Any]) -> dict[str, Any]:
    """Only the allowed fields (the report already covers only the actor's surveys); of a
    suppressed group only its key: its counts would tell the measured who answered."""
    seen = {k: v for k, v in report.items() if k in REPORT_FIELDS}
    seen["groups"] = [_allowed(g) for g in seen["groups"]]
    seen["total"] = _allowed(seen["total"])
    return seen


def _allowed(group: dict[str, Any]) -> dict[str, Any]:
    if group["current"]["mean"] is None:
        return {"key": group.get("key"), "suppressed": True}
    return {k: v for k, v in group.items() if k in GROUP_FIELDS}
