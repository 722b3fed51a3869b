"""Processes: `survey web`, `survey scheduler`, both at once with `survey run`, and one-off jobs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from survey.commands import Context, with_context


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def run(host: str, port: int) -> None:
    """Web server and scheduler together on one machine (embedded defaults).

    Unless SURVEY_BASE_URL is configured, the survey links point at this host and port."""
    from survey.local_server import port_problem, use_local_base_url

    problem = port_problem(host, port)
    if problem is not None:  # before any banner: gunicorn would only say "Connection in use"
        raise click.ClickException(problem)
    links = use_local_base_url(host, port)
    scheduler = subprocess.Popen([sys.executable, "-m", "survey", "scheduler"])
    time.sleep(1.0)
    if scheduler.poll() is not None:
        raise click.ClickException("the scheduler did not start (see the message above)")
    click.echo(f"\n  Survey engine running at http://{host}:{port}/admin")
    if links:
        click.echo(f"  Survey links point at {links} (set SURVEY_BASE_URL to change it)")
    survey_command = Path(sys.executable).with_name("survey")
    click.echo(f"  Create an admin user: {survey_command} users create you@example.se --role admin")
    click.echo("  (it asks for a password; without a terminal it prints a generated one)")
    click.echo("  Stop with Ctrl-C.\n")
    try:
        _serve(host, port, workers=1, threads=4)
    finally:
        # SIGTERM: the scheduler finishes the slice in flight (up to its own stop wait), so
        # that a send under way is recorded rather than left `unknown`.
        from survey.scheduler import STOP_WAIT_SECONDS

        scheduler.terminate()
        try:
            scheduler.wait(timeout=STOP_WAIT_SECONDS + 10)
        except subprocess.TimeoutExpired:
            scheduler.kill()
            scheduler.wait()


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--threads", default=4, show_default=True)
@click.option(
    "--access-log", default="-", show_default=True, help="File of the access log; - is stdout."
)
@click.option("--error-log", default="-", show_default=True, help="File of the error log.")
def web(bind: str, workers: int, threads: int, access_log: str, error_log: str) -> None:
    """The web half for production (gunicorn); several may share PostgreSQL.

    Both logs leave out survey tokens and the query strings of customer routes."""
    _refuse_unshared_rate_limits(workers)
    host, _, port = bind.rpartition(":")
    from survey.local_server import port_problem

    problem = port_problem(host.strip("[]"), int(port))
    if problem is not None:
        raise click.ClickException(problem)
    _serve(host, int(port), workers=workers, threads=threads, logs=(access_log, error_log))


def _refuse_unshared_rate_limits(workers: int) -> None:
    """Before gunicorn starts: production with several workers needs a shared limit storage."""
    from survey.config import ConfigError, load_settings
    from survey.web.ratelimit import storage_problem

    try:
        problem = storage_problem(load_settings(), workers)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if problem is not None:
        raise click.ClickException(problem)


def _serve(
    host: str, port: int, workers: int, threads: int, logs: tuple[str, str] = ("-", "-")
) -> None:
    from gunicorn.app.base import BaseApplication

    from survey import create_app

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            # Each line passes survey.logs.redact (the app adds the filter when it loads).
            self.cfg.set("accesslog", logs[0])
            self.cfg.set("errorlog", logs[1])

        def load(self) -> Any:
            return create_app()

    _App().run()


@click.command()
@with_context
def scheduler(ctx: Context) -> None:
    """The scheduler half: runs every job of jobs.JOBS on its trigger."""
    from survey.scheduler import run_scheduler

    run_scheduler(ctx)


@click.group()
def jobs() -> None:
    """Periodic jobs."""


@jobs.command("run-once")
@click.argument("name")
@with_context
def run_once(ctx: Context, name: str) -> None:
    """One synchronous pass of a job (sample, dispatch, remind, expire, purge, ..., or all)."""
    from jobs import JOBS, get_job, job_names
    from survey.logs import configure_logging
    from survey.monitoring.jobs import timed_run

    configure_logging()
    if name != "all" and name not in job_names():
        raise click.BadParameter(
            f"choose from {', '.join([*job_names(), 'all'])}", param_hint="NAME"
        )
    selected = JOBS if name == "all" else [get_job(name)]
    for job in selected:
        result = timed_run(ctx, job.name, job.target)
        click.echo(json.dumps({"job": job.name, "result": result}, default=str))
