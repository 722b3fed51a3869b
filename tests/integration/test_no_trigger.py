"""A1.5: no route or command lets staff trigger, cancel or re-send a survey for a chosen contact.

Only the policy changes what is sampled. And nothing an agent-facing integration reads (the
ingestion API's answers) tells whether a contact was drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey.cli import cli
from survey.context import Context
from survey.sampling.job import run_sampling
from tests.factories import contact_payload, make_api_key, set_policy

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# The public survey and opt-out pages act on the respondent's own token, not a chosen contact.
RESPONDENT_PAGES = re.compile(r"^/(s|o)/<")
TRIGGER_WORDS = re.compile(r"survey|sample|draw|trigger|resend|re-send|cancel|send", re.I)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/surveys"),
        ("PUT", "/api/v1/surveys/1"),
        ("DELETE", "/api/v1/surveys/1"),
        ("POST", "/api/v1/surveys/1/resend"),
        ("POST", "/api/v1/surveys/1/cancel"),
        ("POST", "/api/v1/contacts/ext-1/survey"),
        ("POST", "/api/v1/cases/CASE-1/survey"),
        ("POST", "/api/v1/sample"),
        ("POST", "/admin/surveys"),
        ("POST", "/admin/surveys/1/resend"),
    ],
)
def test_no_route_triggers_or_cancels_a_survey(client: FlaskClient, method: str, path: str) -> None:
    assert client.open(path, method=method).status_code in (404, 405)


def test_no_mutating_route_names_a_survey_except_the_respondents_own_pages(app: Flask) -> None:
    offenders = [
        f"{sorted(rule.methods & MUTATING)} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if (rule.methods or set()) & MUTATING
        and not RESPONDENT_PAGES.match(rule.rule)
        and not rule.rule.startswith("/webhooks/")
        and TRIGGER_WORDS.search(rule.rule)
    ]
    assert offenders == []


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        path = f"{prefix} {name}".strip()
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


def test_no_command_triggers_or_cancels_a_survey_for_a_chosen_contact() -> None:
    commands = dict(_commands(cli))
    assert not [path for path in commands if TRIGGER_WORDS.search(path.split()[-1])]
    chosen = re.compile(r"contact|case|survey|external", re.I)
    taking_a_contact = [
        f"{path} {param.name}"
        for path, command in commands.items()
        for param in command.params
        if param.name and chosen.search(param.name)
    ]
    assert taking_a_contact == []


def test_the_only_way_to_run_the_sampler_takes_a_job_name_and_nothing_else() -> None:
    run_once = dict(_commands(cli))["jobs run-once"]
    assert [param.name for param in run_once.params] == ["name"]


def test_ingestion_answers_do_not_reveal_the_draw(client: FlaskClient, ctx: Context) -> None:
    key = make_api_key(ctx)
    headers = {"Authorization": f"Bearer {key}"}
    batch = [contact_payload(case_ref=f"AG-{i}") for i in range(20)]
    first = client.post("/api/v1/contacts", json={"contacts": batch}, headers=headers)
    assert first.status_code == 200
    set_policy(ctx, rate="0.5")
    run_sampling(ctx)
    again = client.post("/api/v1/contacts", json={"contacts": batch}, headers=headers)
    assert first.get_json() == {"accepted": 20, "duplicates": 0}
    assert again.get_json() == {"accepted": 0, "duplicates": 20}
    for answer in (first, again):
        leaked = [h for h, _ in answer.headers.items() if TRIGGER_WORDS.search(h)]
        assert leaked == []
