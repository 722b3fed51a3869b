"""When a period's figures settle: no survey about it can be sent, postponed or answered any
more. Monthly snapshots turn final then, and an actor's own reports key sees a period only
from then on (SPEC section 6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from survey.reporting.counting import local_midnight
from survey.sampling.policy import policy_timeline

QUIET_MARGIN = timedelta(hours=24)  # the longest quiet-hours shift, with room to spare


def settles_at(session: Session, start: date, end: date) -> datetime:
    """The moment after which no survey of a period [start, end) can change, by the stored
    policies in force for its closures (the longest of them, when the policy changed)."""
    policies = policy_timeline(session).between(local_midnight(start), local_midnight(end))
    longest = max(
        timedelta(minutes=policy.send_delay_minutes)
        + timedelta(hours=policy.max_postpone_hours)
        + timedelta(days=policy.expiry_days)
        for policy in policies
    )
    return local_midnight(end) + QUIET_MARGIN + longest


# What an actor's key may see: the answers, and nothing of the stages before them (sent,
# declined, opted out, the funnel, the rates, the disclosures' drawn counts), which would tell
# the measured how many of their cases were drawn and sent. A list of what is allowed, so that
# a field added to the report later stays hidden until someone decides otherwise.
ANSWERED_FIGURES = (
    "key",
    "responses",
    "overall",
    "contact_experience",
    "case_handling",
    "resolution",
    "fcr",
    "weighted",
    "measures",
)
REPORT_FIELDS = ("from", "to", "group_by")


def as_seen_by_an_actor(report: dict[str, object]) -> dict[str, object]:
    """The report with only the answers' figures, in every group and the total."""
    groups = report.get("groups")
    total = report.get("total")
    return {
        **{k: v for k, v in report.items() if k in REPORT_FIELDS},
        "groups": [_answered_only(g) for g in groups] if isinstance(groups, list) else [],
        "total": _answered_only(total) if isinstance(total, dict) else {},
    }


def _answered_only(figures: dict[str, object]) -> dict[str, object]:
    """A group's answered figures; of a suppressed group (or one without answers) only its key
    and that it is suppressed: its counts would tell the measured who answered."""
    overall = figures.get("overall")
    if isinstance(overall, dict) and overall.get("mean") is None:
        return {**({"key": figures["key"]} if "key" in figures else {}), "suppressed": True}
    return {k: v for k, v in figures.items() if k in ANSWERED_FIGURES}


def kpis_as_seen_by_an_actor(report: dict[str, object]) -> dict[str, object]:
    """The KPIs read the actor's own contacts and its answered FCR: nothing of the draw. The
    report level is limited all the same, so that a field added later is not shown unseen. The
    FCR's count of a group whose share is hidden would tell who answered: it is hidden too."""
    shown = {k: v for k, v in report.items() if k in (*REPORT_FIELDS, "groups", "total")}
    groups = shown.get("groups")
    if isinstance(groups, list):
        shown["groups"] = [_fcr_count_hidden(g) for g in groups]
    if isinstance(shown.get("total"), dict):
        shown["total"] = _fcr_count_hidden(shown["total"])  # type: ignore[arg-type]
    return shown


def _fcr_count_hidden(figures: dict[str, object]) -> dict[str, object]:
    fcr = figures.get("fcr")
    if isinstance(fcr, dict) and fcr.get("share") is None:
        return {**figures, "fcr": {"n": None, "share": None}}
    return figures
