"""The soak at full size (issue 21): 2 web and 3 scheduler processes on PostgreSQL, one
scheduler SIGKILLed every few seconds, a faulty fake Twilio, an SMTP outage; then the same
stream through 1 web and 1 scheduler (no kills) for the ratio. The set-up is the soak test's
(tests/soak/harness.py) and every promise it checks is checked here too.

Usage: python bench/soak.py [--contacts 50000] [--cases 10000] [--no-single] [--kill-every 5]
Prints contacts ingested per second, sampling and dispatch lag percentiles (seconds),
messages per second, and each as a ratio to the single-process run; last line one JSON object.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select
from sqlmodel import col

from bench.common import emit
from survey.context import Context
from survey.models import Contact, SamplingDecision, Survey
from tests.soak.checks import Findings, check
from tests.soak.harness import FULL, Run, Size, soak
from tests.soak.providers import Providers

# The promises: each of these findings must be zero.
MUST_BE_ZERO = (
    "undecided",
    "draw_mismatches",
    "verify_mismatches",
    "cases_with_two_surveys",
    "sends_after_opt_out",
    "unsettled",
    "unknown_without_reason",
    "sent_without_message",
    "message_without_send",
)


def percentiles(values: list[float]) -> dict[str, float | None]:
    if len(values) < 2:
        return {"p50": None, "p95": None, "p99": None, "max": max(values, default=None)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 2),
        "p95": round(cuts[94], 2),
        "p99": round(cuts[98], 2),
        "max": round(max(values), 2),
    }


def sampling_lags(ctx: Context) -> list[float]:
    """Per case: from its last contact's arrival to its decision (0 if decided before)."""
    with ctx.session() as session:
        arrived = dict(
            session.execute(
                select(col(Contact.case_ref), func.max(col(Contact.received_at))).group_by(
                    col(Contact.case_ref)
                )
            ).all()
        )
        decided = session.execute(
            select(col(SamplingDecision.case_ref), col(SamplingDecision.decided_at))
        ).all()
    return [max(0.0, (at - arrived[ref]).total_seconds()) for ref, at in decided]


def dispatch_lags(ctx: Context, until: float) -> list[float]:
    """Per survey claimed at its first attempt during the soak: from when it was due (and
    existed) to its claim."""
    with ctx.session() as session:
        rows = session.execute(
            select(col(Survey.created_at), col(Survey.first_send_at), col(Survey.attempted_at))
            .where(col(Survey.attempts) == 1)
            .where(col(Survey.attempted_at).is_not(None))
        ).all()
    return [
        max(0.0, (claimed - max(created, due)).total_seconds())
        for created, due, claimed in rows
        if claimed.timestamp() <= until
    ]


def messages_per_second(providers: Providers, until: float) -> float:
    times = [m["received_at"] for ms in providers.sms_by_survey().values() for m in ms]
    times += [m.received_at for ms in providers.mail_by_survey().values() for m in ms]
    times = sorted(t for t in times if t <= until)
    if len(times) < 2:
        return 0.0
    return round(len(times) / (times[-1] - times[0]), 1)


def measure(size: Size) -> dict[str, Any]:
    with soak(size) as (run, ctx, providers):
        found = check(run, ctx, providers)
        figures = figures_of(run, ctx, providers)
    broken = {name: getattr(found, name) for name in MUST_BE_ZERO if getattr(found, name)}
    if found.duplicates != dict.fromkeys(found.duplicates, 0):
        broken["duplicates"] = found.duplicates
    if found.unknown_after_kills > found.unknown_bound:
        broken["unknown_after_kills"] = found.unknown_after_kills
    return {**figures, "broken": broken, "findings": _brief(found)}


def figures_of(run: Run, ctx: Context, providers: Providers) -> dict[str, Any]:
    return {
        "webs": run.size.webs,
        "schedulers": run.size.schedulers,
        "kills": run.kills,
        "contacts_per_second": round(run.size.contacts / run.ingest_seconds, 1),
        "ingest_seconds": round(run.ingest_seconds, 1),
        "drain_seconds": round(run.drain_seconds, 1),
        "sampling_lag_seconds": percentiles(sampling_lags(ctx)),
        "dispatch_lag_seconds": percentiles(dispatch_lags(ctx, run.drained_at)),
        "messages_per_second": messages_per_second(providers, run.drained_at),
    }


def _brief(found: Findings) -> dict[str, Any]:
    keep = ("cases", "contacts", "surveys", "delivery", "opt_outs", "sms_taken")
    extra = ("emails_received", "reconciled", "retried_sends", "unknown_after_kills")
    return {name: getattr(found, name) for name in (*keep, *extra)}


def ratio(many: Any, one: Any) -> float | None:
    if not isinstance(many, int | float) or not isinstance(one, int | float) or not one:
        return None
    return round(many / one, 2)


def ratios(fleet: dict[str, Any], single: dict[str, Any]) -> dict[str, float | None]:
    """Each figure of the fleet over the single-process run's."""
    found = {
        name: ratio(fleet[name], single[name])
        for name in ("contacts_per_second", "messages_per_second")
    }
    for lag in ("sampling_lag_seconds", "dispatch_lag_seconds"):
        for cut in ("p50", "p95"):
            found[f"{lag}_{cut}"] = ratio(fleet[lag][cut], single[lag][cut])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=FULL.contacts)
    parser.add_argument("--cases", type=int, default=FULL.cases)
    parser.add_argument("--no-single", action="store_true", help="skip the 1 web, 1 scheduler run")
    parser.add_argument(
        "--kill-every",
        type=float,
        default=FULL.kill_every,
        help="seconds between SIGKILLs of a scheduler in the fleet run (0: none)",
    )
    args = parser.parse_args()
    size = replace(FULL, contacts=args.contacts, cases=args.cases, kill_every=args.kill_every)
    result: dict[str, Any] = {"contacts": args.contacts, "cases": args.cases}
    result["fleet"] = measure(size)
    print("2 web, 3 schedulers:", result["fleet"], flush=True)
    if not args.no_single:
        result["single"] = measure(replace(size, webs=1, schedulers=1, kill_every=0.0))
        print("1 web, 1 scheduler:", result["single"], flush=True)
        result["ratio_to_single"] = ratios(result["fleet"], result["single"])
    emit(result)
    if any(run["broken"] for run in (result["fleet"], result.get("single", {"broken": {}}))):
        raise SystemExit("a promise did not hold: see 'broken' above")


if __name__ == "__main__":
    main()
