"""Targets per KPI (issue 18): the organisation's default, and overrides per actor or per actor
and team, set by admin users (each change audited with the old and new value), and the
reports' groups judged against them (target_judgement.py).

Targets are judged for the organisation's view only: the reports an actor's key gets keep
their allow-lists (settling.py), and the API adds targets for organisation keys alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.db import utcnow
from survey.errors import ServiceError
from survey.models import Actor, Target
from survey.reporting.kpi import resolution_within
from survey.reporting.report import ReportRequest
from survey.reporting.target_judgement import (
    KPIS,
    judge,
    judge_median_below,
    share_interval,
)

SURVEY_KPIS = ("csat", "overall_mean", "response_rate", "fcr")
CONTACT_KPIS = ("repeat_contact_ratio", "resolution_time_hours", "fcr")
DEFAULT_SCOPE = "*"


class InvalidTarget(ServiceError):
    """A target refused; the message names the field."""


def _scope(actor_id: int | None, team: str | None) -> str:
    if actor_id is None:
        return DEFAULT_SCOPE
    return str(actor_id) if team is None else f"{actor_id}/{team}"


@dataclass(frozen=True)
class TargetBook:
    """Every target, for finding the one that applies to a report's group."""

    values: Mapping[tuple[str, str], float]
    actor_ids: Mapping[str, int]

    def target(self, kpi: str, actor: str | None = None, team: str | None = None) -> float | None:
        """The most specific target: the actor's team's, else the actor's, else the default."""
        actor_id = self.actor_ids.get(actor) if actor is not None else None
        scopes = [DEFAULT_SCOPE]
        if actor_id is not None:
            scopes[:0] = ([_scope(actor_id, team)] if team is not None else []) + [str(actor_id)]
        return next((self.values[(kpi, s)] for s in scopes if (kpi, s) in self.values), None)

    def __bool__(self) -> bool:
        return bool(self.values)


def load_targets(session: Session) -> TargetBook:
    rows = session.execute(select(col(Target.kpi), col(Target.scope), col(Target.value)))
    names = session.execute(select(col(Actor.name), col(Actor.id)))
    return TargetBook(
        values={(kpi, scope): value for kpi, scope, value in rows},
        actor_ids={name: actor_id for name, actor_id in names},
    )


def list_targets(session: Session) -> list[dict[str, Any]]:
    """The targets for the admin page: KPI, actor name, team, value, who changed it, when."""
    query = (
        select(Target, col(Actor.name))
        .outerjoin(Actor, col(Actor.id) == col(Target.actor_id))
        .order_by(col(Target.kpi), col(Actor.name).is_not(None), col(Actor.name), col(Target.team))
    )
    return [
        {
            "kpi": target.kpi,
            "actor": actor,
            "team": target.team,
            "value": target.value,
            "changed_by": target.changed_by,
            "changed_at": target.changed_at,
        }
        for target, actor in session.execute(query)
    ]


def parse_value(kpi: str, text: str) -> float | None:
    """A target as entered (per cent for shares, a decimal comma allowed); None for empty."""
    text = text.strip().replace(",", ".").rstrip("%").strip()
    if not text:
        return None
    spec = KPIS[kpi]
    try:
        value = float(text)
    except ValueError:
        raise InvalidTarget(f"value: not a number: {text[:20]!r}") from None
    value = value / 100 if spec.share else value
    if not spec.low <= value <= spec.high:
        shown = (spec.low * 100, spec.high * 100) if spec.share else (spec.low, spec.high)
        unit = " %" if spec.share else ""
        raise InvalidTarget(f"value: {kpi} targets lie from {shown[0]:g} to {shown[1]:g}{unit}")
    return value


def set_target(
    session: Session, *, kpi: str, value: str, actor: str | None, team: str | None, who: str
) -> None:
    """Set (or with an empty value remove) a target; audited with the old and new value;
    commits."""
    if kpi not in KPIS:
        raise InvalidTarget(f"kpi: one of {', '.join(KPIS)}, not {kpi[:40]!r}")
    actor, team = (actor or "").strip() or None, (team or "").strip()[:100] or None
    if team is not None and actor is None:
        raise InvalidTarget("team: a team's target needs the team's actor")
    actor_id = None
    if actor is not None:
        actor_id = session.scalar(select(col(Actor.id)).where(col(Actor.name) == actor))
        if actor_id is None:
            raise InvalidTarget(f"actor: no actor named {actor[:100]!r}")
    new = parse_value(kpi, value)
    scope = _scope(actor_id, team)
    row = session.scalar(select(Target).where(col(Target.kpi) == kpi, col(Target.scope) == scope))
    old = row.value if row is not None else None
    if row is not None and new is None:
        session.delete(row)
    elif new is not None:
        row = row or Target(
            kpi=kpi, scope=scope, actor_id=actor_id, team=team, value=new, changed_by=who
        )
        row.value, row.changed_by, row.changed_at = new, who, utcnow()
        session.add(row)
    audit(
        session,
        who=who,
        action="target.set",
        subject=f"{kpi}:{actor or '*'}{'/' + team if team else ''}",
        kpi=kpi,
        actor=actor,
        team=team,
        old=old,
        new=new,
    )
    session.commit()


def _share(figures: Mapping[str, Any]) -> tuple[float, float] | None:
    """The interval of a {"n", "share"} figure (none when its share is hidden)."""
    n, share = figures.get("n") or 0, figures.get("share")
    return None if share is None else share_interval(round(share * n), n)


def _survey_intervals(figures: Mapping[str, Any]) -> dict[str, Any]:
    overall = figures["overall"]
    if overall.get("mean") is None:  # suppressed (or no answers): nothing is judged
        return {}
    return {
        "csat": overall.get("csat_ci95"),
        "overall_mean": overall.get("mean_ci95"),
        "response_rate": share_interval(figures["responses"], figures["sent"]),
        "fcr": _share(figures["fcr"]),
    }


def _judged(
    book: TargetBook, key: Mapping[str, Any], kpis: Iterable[str], intervals: Mapping[str, Any]
) -> dict[str, Any]:
    actor = key.get("actor")
    team = key.get("team") if actor is not None else None
    judged: dict[str, Any] = {}
    for kpi in kpis:
        target = book.target(kpi, actor, team)
        if target is None:
            continue
        interval = intervals.get(kpi)
        judgement = (
            interval(target)
            if callable(interval)
            else judge(interval, target, lower_is_better=KPIS[kpi].lower_is_better)
        )
        judged[kpi] = {"target": target, "judgement": judgement}
    return judged


def judge_report(report: dict[str, Any], book: TargetBook) -> dict[str, Any]:
    """The satisfaction report with "targets" in each group and the total (organisation view)."""
    groups = [
        {**g, "targets": _judged(book, g["key"], SURVEY_KPIS, _survey_intervals(g))}
        for g in report["groups"]
    ]
    total = {
        **report["total"],
        "targets": _judged(book, {}, SURVEY_KPIS, _survey_intervals(report["total"])),
    }
    return {**report, "groups": groups, "total": total}


def judge_kpis(
    session: Session, kpis: dict[str, Any], request: ReportRequest, book: TargetBook
) -> dict[str, Any]:
    """The contact KPIs with "targets" in each group and the total (organisation view)."""
    if not book:
        return kpis
    thresholds = {
        book.target("resolution_time_hours", g["key"].get("actor"), g["key"].get("team"))
        for g in kpis["groups"]
    } | {book.target("resolution_time_hours")}
    within = {
        hours: (
            resolution_within(session, request, hours * 3600),
            resolution_within(session, request.ungrouped(), hours * 3600),
        )
        for hours in thresholds
        if hours is not None
    }

    def judged(figures: dict[str, Any], key: dict[str, Any], grouped: bool) -> dict[str, Any]:
        def median(target: float) -> Any:
            counts = within[target][0 if grouped else 1].get(tuple(key.values()), (0, 0))
            return judge_median_below(*counts)

        intervals = {
            "repeat_contact_ratio": share_interval(
                figures["contacts"] - figures["cases"], figures["contacts"]
            ),
            "resolution_time_hours": median,
            "fcr": _share(figures["fcr"]),
        }
        return {**figures, "targets": _judged(book, key, CONTACT_KPIS, intervals)}

    return {
        **kpis,
        "groups": [judged(g, g["key"], True) for g in kpis["groups"]],
        "total": judged(kpis["total"], {}, False),
    }
