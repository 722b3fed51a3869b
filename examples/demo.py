"""A demonstration for a newcomer: `make demo` (beside `make run`, on the same database).

The first run loads eight weeks of history (three actors, one of them an outsourced contact
centre that steers its measurement, seven teams, a few thousand contacts, answers with
comments) through the engine's own use cases on a clock that walks through the past (see
demo_history.py), so that every admin page has something to show. Every run then makes sure
the demonstration policy is in force (survey every case, no delay, no quiet hours: audited like
any policy change, and written only when it is not already the policy), and sends a few new
surveys to the outbox: open a link in a browser to answer.

The history is loaded while no scheduler runs (the real one would send its surveys today);
a second run finds the history and says so. Never run this against a database that sends for
real: it refuses SMS and e-mail backends other than the outbox, and production.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from demo_history import WHO, Clock, load_history
from demo_world import ACTORS
from sqlalchemy import func
from sqlmodel import col, select

from survey.config import ConfigError
from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.delivery.reminders import expire_surveys
from survey.intake.ingest import ingest_batch
from survey.local_server import use_local_base_url
from survey.models import Actor, Contact, Response, Survey
from survey.monitoring.health import scheduler_heartbeat
from survey.reporting.snapshot import take_snapshots
from survey.sampling import policy as policies
from survey.sampling.job import run_sampling
from survey.startup import start_context
from survey.tokens import survey_url

HISTORY_DAYS = 56
DEMO_POLICY = {"rate": "1", "send_delay_minutes": 0, "quiet_hours": ""}
# The outbox stores a message at once: no provider pace to keep, so big slices per claim.
OUTBOX_PACE = {
    "sms_rate_per_second": 1000,
    "email_rate_per_second": 1000,
    "dispatch_concurrency": 32,
}
FRESH = (("phone", "sv"), ("email", "sv"), ("chat", "en"), ("sms", "en"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--days", type=int, default=HISTORY_DAYS, help="days of history")
    args = parser.parse_args()
    use_local_base_url(args.host, args.port)  # the links open `make run` on the same port
    try:
        ctx = start_context(OUTBOX_PACE, who=WHO, warn=lambda _: None)
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    refusal = _refusal(ctx)
    if refusal:
        raise SystemExit(refusal)
    clock = Clock(datetime.now(UTC))
    ctx.now = clock
    started = time.monotonic()
    if _history_loaded(ctx):
        print(f"demo data already loaded ({_figures(ctx)}); not loading it again")
    elif scheduler_heartbeat(ctx).alive:
        raise SystemExit(
            "a scheduler is running (`make run`?): it would send the history's surveys today. "
            "Stop it (Ctrl-C), run `make demo` once, then `make run` again; later runs of "
            "`make demo` may run beside it."
        )
    else:
        print(f"loading {args.days} days of demo history ...", flush=True)
        # A connection held open for the run: with SQLite, the last connection's close would
        # otherwise write the log back into the database after every one of the jobs' sessions.
        with ctx.engine.connect():
            counts = load_history(ctx, clock, days=args.days)
        clock.at = datetime.now(UTC)
        expire_surveys(ctx)
        with ctx.session() as session:
            snapshots = take_snapshots(session, ctx.settings, now=clock.at)
        print(
            f"loaded {counts['contacts']} contacts ({_figures(ctx)}) and "
            f"{len(snapshots)} monthly snapshot(s) in {time.monotonic() - started:.0f} s"
        )
    _demo_policy(ctx, clock)
    # The environment still holds the values the demonstration policy replaced.
    print("  (`survey run` warns that the environment differs from the stored policy: expected)")
    links = _fresh_surveys(ctx, clock)
    print(f"\n{len(links)} new survey(s) in the outbox; open a link to answer:")
    for channel, to, link in links:
        print(f"  {channel:5} {to:32} {link}")
    print(f"\nAdmin pages: {ctx.settings.base_url}/admin")
    ctx.store.dispose()


def _refusal(ctx: Context) -> str | None:
    settings = ctx.settings
    if settings.env == "production":
        return "the demo does not run in production (SURVEY_ENV=production)"
    backends = {"SURVEY_SMS_BACKEND": settings.sms_backend}
    backends["SURVEY_EMAIL_BACKEND"] = settings.email_backend
    real = [f"{name}={value}" for name, value in backends.items() if value != "outbox"]
    if real:
        return f"the demo sends only to the outbox; unset {', '.join(real)}"
    return None


def _history_loaded(ctx: Context) -> bool:
    with ctx.session() as session:
        found = session.execute(select(Actor).where(col(Actor.name) == ACTORS[0].name)).first()
    return found is not None


def _figures(ctx: Context) -> str:
    with ctx.session() as session:
        contacts = session.execute(select(func.count()).select_from(Contact)).scalar_one()
        surveys = session.execute(select(func.count()).select_from(Survey)).scalar_one()
        answers = session.execute(
            select(func.count()).select_from(Response).where(col(Response.overall).is_not(None))
        ).scalar_one()
    return f"{contacts} contacts, {surveys} surveys, {answers} answers in the database"


def _demo_policy(ctx: Context, clock: Clock) -> None:
    """The demonstration policy from now on; a change only where it is not already in force."""
    clock.at = datetime.now(UTC)
    with ctx.session() as session:
        current = policies.policy_dict(policies.effective_policy(session, clock.at))
        changes = {k: v for k, v in DEMO_POLICY.items() if str(current[k]) != str(v)}
        for key, value in changes.items():
            policies.change_policy(
                session,
                key=key,
                value=value,
                who=WHO,
                reason="demonstration (make demo)",
                now=clock.at,
            )
    shown = ", ".join(f"{k} {v!r}" for k, v in DEMO_POLICY.items())
    if changes:
        print(f"demonstration policy set ({shown}); the change is in the audit log")
    else:
        print(f"the demonstration policy is already in force ({shown}): no change written")


def _fresh_surveys(ctx: Context, clock: Clock) -> list[tuple[str, str, str]]:
    """A few contacts closing now, drawn and sent at once under the demonstration policy."""
    time.sleep(0.01)  # they close after the policy change, so that it applies to them
    clock.at = datetime.now(UTC)
    stamp = clock.at.strftime("%Y%m%d%H%M%S")
    # New numbers each run (a repeated one would meet the frequency cap), apart from the
    # history's +4670 numbers.
    serial = int(clock.at.timestamp()) * len(FRESH)
    items = []
    for n, (channel, language) in enumerate(FRESH, start=1):
        ref = f"DEMO-NU-{stamp}-{n}"
        customer = {"language": language, "ref": ref}
        if channel in ("phone", "sms"):
            customer["phone"] = f"+4676{(serial + n) % 10**7:07d}"
        else:
            customer["email"] = f"prova.{stamp}.{n}@example.se"
        items.append(
            {
                "external_id": ref,
                "case_ref": ref,
                "channel": channel,
                "opened_at": (clock.at - timedelta(minutes=6)).isoformat(),
                "closed_at": clock.at.isoformat(),
                "agent": ACTORS[0].teams[1].agents[0],
                "team": ACTORS[0].teams[1].name,
                "case_type": "teknisk support",
                "customer": customer,
            }
        )
    with ctx.session() as session:
        actor = session.execute(select(Actor).where(col(Actor.name) == ACTORS[0].name)).scalar_one()
        assert actor.id is not None
        _, errors = ingest_batch(
            session,
            actor_id=actor.id,
            items=items,
            now=clock.at,
            default_language=ctx.settings.default_language,
            identifier_key=ctx.settings.identifier_key,
        )
    if errors:
        raise SystemExit(f"the new demo contacts were refused: {errors}")
    run_sampling(ctx)
    dispatch_due_surveys(ctx)
    refs = [item["case_ref"] for item in items]
    with ctx.session() as session:
        surveys = session.execute(
            select(col(Survey.id), col(Survey.send_channel), col(Survey.to_address))
            .where(col(Survey.case_ref).in_(refs), col(Survey.sent_at).is_not(None))
            .order_by(col(Survey.id))
        ).all()
    settings = ctx.settings
    return [
        (channel, to or "", survey_url(settings.base_url, settings.secret_key, survey_id))
        for survey_id, channel, to in surveys
    ]


if __name__ == "__main__":
    main()
