"""Eight weeks of history for the demo, made by the engine's own use cases on a clock that
runs through the past (the context's injected clock, as in the tests):

each evening the actors deliver the day's closed contacts (the in-house units through the
contacts API's use case, the outsourced centre as a CSV import), the sampling job draws with
the keyed hash under the policy in force, the dispatch job sends to the outbox, the reminder
and expiry jobs run, and the customers answer, decline or opt out through the survey page's
use cases. Nothing is written around the engine: every figure in the reports is one the
engine computed the way it would have, had it run those eight weeks.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from demo_world import (
    ACTORS,
    DO_NOT_SURVEY_REASONS,
    Actor,
    Team,
    answers_for,
    overall_score,
    pick_channel,
)
from sqlmodel import Session, col, select

from survey.accounts.actors import create_actor
from survey.accounts.api_keys import create_api_key, key_holder
from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.delivery.reminders import expire_surveys, send_reminders
from survey.intake.csv_import import COLUMNS, import_csv
from survey.intake.ingest import ingest_batch
from survey.intake.schemas import OptOutIn
from survey.models import Survey
from survey.questionnaire import load_questionnaires
from survey.respondent import optout_link
from survey.respondent.answers import survey_for_page
from survey.respondent.form import submit_form
from survey.respondent.optout_api import register
from survey.sampling.draw import STOCKHOLM
from survey.sampling.job import run_sampling
from survey.tokens import make_token

WHO = "demo"
EVENING = time(19, 30)  # when the day's contacts arrive and are drawn
SENDING = time(19, 55)  # the dispatch run of the day (quiet hours start at 20:00)


@dataclass
class Clock:
    """The context's clock, set by the demo as it walks through the days."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Day:
    contacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by actor
    staff_opt_outs: list[tuple[str, dict[str, str], str]] = field(default_factory=list)


@dataclass
class World:
    """The demo's customers and the mood each case left them in (what they would answer)."""

    rng: random.Random
    customers: list[dict[str, str]] = field(default_factory=list)
    moods: dict[str, int] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)
    agent_offsets: dict[str, float] = field(default_factory=dict)
    last_case: dict[str, date] = field(default_factory=dict)  # by customer ref
    cases: int = 0

    def customer(self, day: date) -> dict[str, str]:
        """A new customer, or now and then one back with a new case (days after the last:
        two cases within a day from one customer would look like a case split to hide it)."""
        if self.customers and self.rng.random() < 0.12:
            back = self.rng.choice(self.customers)
            if (day - self.last_case[back["ref"]]).days >= 3:
                self.last_case[back["ref"]] = day
                return back
        n = len(self.customers) + 1
        language = "en" if self.rng.random() < 0.12 else "sv"
        found = {"ref": f"DEMO-K{n:06d}", "language": language}
        if self.rng.random() > 0.02:  # a few leave no address at all
            found["phone"] = f"+4670{n:07d}"  # one number per customer
            if self.rng.random() < 0.6:
                found["email"] = f"kund{n}@example.se"
        self.customers.append(found)
        self.last_case[found["ref"]] = day
        return found

    def agent_offset(self, agent: str) -> float:
        return self.agent_offsets.setdefault(agent, self.rng.gauss(0, 0.25))


def load_history(ctx: Context, clock: Clock, *, days: int, seed: int = 2026) -> Counter[str]:
    """Walk `days` days up to yesterday; counts of what happened."""
    world = World(random.Random(seed))
    keys = _setup_actors(ctx)
    questionnaires = load_questionnaires()
    today = datetime.now(STOCKHOLM).date()
    totals: Counter[str] = Counter()
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        plan = _plan_day(world, day)
        clock.at = _local(day, EVENING)
        totals["contacts"] += _deliver(ctx, plan, keys)
        for reason, n in run_sampling(ctx).items():
            totals[f"decided {reason}"] += n
        clock.at = _local(day, SENDING)
        send_reminders(ctx)
        totals.update({f"sent {k}": v for k, v in dispatch_due_surveys(ctx).items() if v})
        expire_surveys(ctx)
        totals.update(_respond(ctx, clock, world, questionnaires))
    return totals


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, STOCKHOLM)


def _setup_actors(ctx: Context) -> dict[str, str]:
    """The actors, each with an API key (as its systems would have); the raw keys by actor."""
    keys = {}
    with ctx.session() as session:
        for actor in ACTORS:
            create_actor(session, name=actor.name, who=WHO)
            keys[actor.name] = create_api_key(session, actor_name=actor.name, who=WHO)
    return keys


def _plan_day(world: World, day: date) -> Day:
    plan = Day()
    weekend = day.weekday() >= 5
    for actor in ACTORS:
        contacts = plan.contacts.setdefault(actor.name, [])
        for team in actor.teams:
            expected = team.daily // 4 if weekend else team.daily
            for _ in range(world.rng.randint(int(expected * 0.7), int(expected * 1.3))):
                contacts += _case(world, plan, day, actor, team, weekend)
    return plan


def _case(
    world: World, plan: Day, day: date, actor: Actor, team: Team, weekend: bool
) -> list[dict[str, Any]]:
    """The contacts of one case (one to three, the last decides what the customer feels)."""
    rng = world.rng
    world.cases += 1
    case_ref = f"DEMO-{day:%y%m%d}-{world.cases:05d}"
    customer = world.customer(day)
    count = rng.choices((1, 2, 3), (0.72, 0.22, 0.06))[0]
    start = _local(day, time(10 if weekend else 8)) + timedelta(
        minutes=rng.randrange(0, 360 if weekend else 600)
    )
    agent = rng.choice(team.agents)
    mood = overall_score(rng, team.level + world.agent_offset(agent))
    world.moods[case_ref] = mood
    world.languages[case_ref] = customer["language"]
    contacts = []
    closed = start
    case_type = rng.choice(team.case_types)
    for k in range(count):
        closed = min(closed + timedelta(minutes=rng.randrange(5, 150)), _local(day, time(19, 20)))
        channel = pick_channel(rng, team)
        handling = timedelta(minutes=rng.randrange(3, 25))
        if channel == "email":
            handling = timedelta(hours=rng.randrange(2, 30))
        contacts.append(
            {
                "external_id": f"{case_ref}-{k + 1}",
                "case_ref": case_ref,
                "channel": channel,
                "opened_at": (closed - handling).isoformat(),
                "closed_at": closed.isoformat(),
                "agent": agent if k == count - 1 else rng.choice(team.agents),
                "team": team.name,
                "case_type": case_type,
                "complaint": rng.random() < team.complaint_share,
                "customer": dict(customer),
            }
        )
    reason = _do_not_survey(rng, actor, mood)
    if reason:  # on the last contact, as the agent closing the case would mark it
        contacts[-1]["do_not_survey"] = {"reason": reason}
    # At the steering actor the agent "registers the customer's wish" through the API.
    steered = actor.steers and mood <= 2 and "do_not_survey" not in contacts[-1]
    if steered and rng.random() < 0.35:
        plan.staff_opt_outs.append((actor.name, customer, contacts[-1]["agent"]))
    return contacts


def _do_not_survey(rng: random.Random, actor: Actor, mood: int) -> str | None:
    """Rare and for good reasons, except at the actor that steers: unhappy customers are
    marked "does not want to be contacted" far more often than anywhere else."""
    if actor.steers and mood <= 2 and rng.random() < 0.45:
        return "kunden vill inte kontaktas"
    if rng.random() < (0.03 if actor.steers else 0.01):
        return rng.choice(DO_NOT_SURVEY_REASONS)
    return None


def _deliver(ctx: Context, plan: Day, keys: dict[str, str]) -> int:
    """The day's contacts into the engine, each actor its own way; then the staff opt-outs."""
    count = 0
    settings = ctx.settings
    for actor in ACTORS:
        items = plan.contacts[actor.name]
        if actor.via == "csv":
            count += _import_csv(ctx, actor.name, items)
            continue
        with ctx.session() as session:
            holder = key_holder(session, keys[actor.name])
            assert holder is not None and holder.actor_id is not None
            result, errors = ingest_batch(
                session,
                actor_id=holder.actor_id,
                items=items,
                now=ctx.now(),
                default_language=settings.default_language,
                identifier_key=settings.identifier_key,
            )
        if errors:
            raise SystemExit(f"the demo's contacts were refused: {errors[:3]}")
        count += result.accepted
    with ctx.session() as session:
        for actor_name, customer, agent in plan.staff_opt_outs:
            holder = key_holder(session, keys[actor_name])
            assert holder is not None
            found = {k: v for k, v in customer.items() if k in ("phone", "email", "ref")}
            register(
                session,
                OptOutIn(**found, agent=agent),
                key=holder,
                now=ctx.now(),
                identifier_key=settings.identifier_key,
            )
    return count


def _import_csv(ctx: Context, actor_name: str, items: list[dict[str, Any]]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"kontakter-{ctx.now():%Y%m%d}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for item in items:
                customer = item["customer"]
                writer.writerow(
                    {
                        **{k: item[k] for k in COLUMNS if k in item and k != "do_not_survey"},
                        "complaint": "yes" if item["complaint"] else "no",
                        "do_not_survey": (item.get("do_not_survey") or {}).get("reason", ""),
                        "customer_phone": customer.get("phone", ""),
                        "customer_email": customer.get("email", ""),
                        "customer_language": customer["language"],
                        "customer_ref": customer["ref"],
                    }
                )
        summary = import_csv(ctx, path, actor_name=actor_name, workers=0, who=WHO)
    if summary.rejected:
        raise SystemExit(f"the demo's CSV lines were rejected ({summary.rejected})")
    return summary.imported


def _respond(
    ctx: Context, clock: Clock, world: World, questionnaires: dict[str, Any]
) -> Counter[str]:
    """The customers of the surveys just sent: many answer (the same evening or the next
    day), some only look, a few decline or opt out; the rest never react."""
    sent_now = clock.at
    counts: Counter[str] = Counter()
    latest = datetime.now(STOCKHOLM) - timedelta(minutes=5)
    rng = world.rng
    with ctx.session() as session:
        surveys = session.execute(
            select(col(Survey.id), col(Survey.case_ref)).where(col(Survey.sent_at) == sent_now)
        ).all()
        session.commit()
        for survey_id, case_ref in surveys:
            draw = rng.random()
            clock.at = sent_now + timedelta(minutes=rng.choice((7, 25, 90, 200, 800, 1300)))
            if clock.at > latest or draw > 0.62:
                continue  # no reaction (yet)
            token = make_token(ctx.settings.secret_key, survey_id)
            mood = world.moods.get(case_ref, 4)
            language = world.languages.get(case_ref, "sv")
            counts[_react(ctx, session, token, draw, (mood, language), questionnaires)] += 1
    clock.at = sent_now
    return counts


def _react(
    ctx: Context,
    session: Session,
    token: str,
    draw: float,
    customer: tuple[int, str],
    questionnaires: dict[str, Any],
) -> str:
    """One customer's visit to the survey page: answer, decline, opt out, or only look."""
    secret_key, expiry = ctx.settings.secret_key, ctx.started_policy().expiry_days
    view = survey_for_page(session, secret_key, token, now=ctx.now(), expiry_days=expiry)
    if view is None:
        return "not found"
    if draw < 0.42:
        answers = answers_for(random.Random(token), *customer)
        form = {**answers, "questionnaire": view.questionnaire}
    elif draw < 0.46:
        form = {"action": "decline"}
    elif draw < 0.475:
        survey = session.get(Survey, view.id)
        assert survey is not None
        optout_link.opt_out(session, survey, now=ctx.now())
        return "opted out"
    else:
        return "opened"
    result = submit_form(
        session,
        secret_key=secret_key,
        token=token,
        form=form,
        questionnaires=questionnaires,
        now=ctx.now(),
        expiry_days=expiry,
    )
    session.commit()
    return str(result.outcome)
