"""`make demo`: history that fills every admin page with the minimum group size of 5, fresh
survey links in the outbox, and a second run that changes nothing but adds new links."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from survey.context import Context
from survey.models import AuditLog, Response, Survey
from survey.reporting.comments import comment_list
from survey.reporting.fairness import fairness_report
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.sampling.draw import STOCKHOLM

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"
DAYS = 14  # `make demo` loads 56; two weeks show the same in a test's time
LINK = r"/s/[A-Za-z0-9_-]{32}"


def _demo(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(DEMO), "--days", str(DAYS), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _policy_changes(ctx: Context) -> int:
    with ctx.session() as session:
        query = select(func.count()).where(col(AuditLog.action) == "policy.change")
        return session.execute(query).scalar_one()


# The demo is for the embedded default that `make run` starts.
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_loads_history_every_page_can_show_and_a_rerun_only_adds_links(
    ctx: Context, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**os.environ, **cli_env}
    first = _demo(env, tmp_path)
    assert re.search(r"loaded \d{4,} contacts", first), first
    links = re.findall(r"https://survey\.test" + LINK, first)
    assert len(links) == 4
    changes = _policy_changes(ctx)
    assert changes == 3  # rate, delay and quiet hours, once

    today = ctx.now().astimezone(STOCKHOLM).date()
    period = (today - timedelta(days=DAYS), today)
    with ctx.session() as session:
        days = session.execute(
            select(func.count(func.distinct(col(Survey.closed_local_date))))
        ).scalar_one()
        answers = session.execute(select(col(Response.submitted_at))).scalars().all()
        by_team = satisfaction_report(
            session, ReportRequest(*period, ("actor", "team")), min_group_size=5
        )
        fairness = fairness_report(
            session,
            ReportRequest(*period, ()),
            identifier_key=ctx.settings.identifier_key,
            agent_reporting=True,
        )
        monday = today - timedelta(days=today.weekday())
        comments = comment_list(
            session, start=monday - timedelta(weeks=2), end=monday, min_group_size=5
        )
    assert days >= DAYS - 1  # surveys of (nearly) every day, the history's own dates
    assert min(answers) < ctx.now() - timedelta(days=DAYS - 3)  # answered back then
    csat = {tuple(g["key"].values()): g["overall"]["csat"] for g in by_team["groups"]}
    shown = [value for value in csat.values() if value is not None]
    assert len(shown) >= 5  # scores, not dashes, with the minimum group size of 5
    assert any(value < 0.7 for value in shown) and any(value > 0.75 for value in shown)
    # The outsourced centre that steers its measurement is flagged on what it does; the
    # in-house units are not (their decline and response rates vary by chance alone).
    steering = {"do_not_survey_share", "staff_opt_out_share"}
    flags = {u["actor"]: set(u["flags"]) for u in fairness["units"] if u["agent"] is None}
    assert flags.pop("Kontaktia AB") >= steering
    assert all(not found & steering for found in flags.values()), flags
    assert comments.rows  # groups of at least five comments

    again = _demo(
        {k: v for k, v in env.items() if k != "SURVEY_BASE_URL"}, tmp_path, "--port", "5099"
    )
    assert "demo data already loaded" in again and "no change written" in again
    assert _policy_changes(ctx) == changes
    fresh = re.findall(r"http://127\.0\.0\.1:5099" + LINK, again)  # `make demo PORT=5099`
    assert len(fresh) == 4
    tokens = {link.rsplit("/", 1)[1] for link in links}
    assert not {link.rsplit("/", 1)[1] for link in fresh} & tokens


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_history_waits_until_no_scheduler_runs(
    ctx: Context, cli_env: dict[str, str], tmp_path: Path
) -> None:
    slot = ctx.store.scheduler_slot(ctx.now)
    assert slot.take()  # `make run` is up: its scheduler would send the history's surveys today
    try:
        done = subprocess.run(
            [sys.executable, str(DEMO), "--days", "1"],
            env={**os.environ, **cli_env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        slot.release()
    assert done.returncode == 1
    assert "a scheduler is running" in done.stderr and "then `make run` again" in done.stderr
    with ctx.session() as session:
        assert session.execute(select(func.count()).select_from(Survey)).scalar_one() == 0
