"""Questionnaires per case type, actor or channel on SQLite and PostgreSQL: the sampler gives a
matching case's survey the rule's questionnaire, the page asks it, the answer stores its id and
version, and the report counts its items with the default questionnaire's by item id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.config import ConfigError
from survey.context import Context
from survey.models import DeliveryStatus, Response, Survey
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.sampling.job import run_sampling
from survey.sampling.verify import verify_decisions
from survey.startup import start_context
from tests.factories import local_date, make_actor, make_contact, make_response, make_survey
from tests.integration.survey_pages import csrf_from, token_for

RULES = ["case_type:faktura=short", "actor:partner=short"]
DEFAULT_ONLY = {"response_time", "clarity", "knowledge", "engagement", "proactivity"}


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {
        **settings_overrides,
        "questionnaire_rules": RULES,
        "sampling_rate": "1",
        "frequency_cap_days": "0",
    }


def _sample(ctx: Context) -> dict[str, Survey]:
    """Three closed cases, one per rule and one matching none, sampled; surveys by case type."""
    with ctx.session() as session:
        own, partner = make_actor(session, "in-house"), make_actor(session, "partner")
        make_contact(session, own, case_type="faktura", customer_phone="+46701000001")
        make_contact(session, own, case_type="billing", customer_phone="+46701000002")
        make_contact(session, partner, case_type="delivery", customer_phone="+46701000003")
    run_sampling(ctx, workers=1)
    with ctx.session() as session:
        surveys = session.scalars(select(Survey)).all()
        for survey in surveys:
            survey.delivery_status = DeliveryStatus.delivered
        session.commit()
        for survey in surveys:
            session.refresh(survey)
            session.expunge(survey)
    return {str(s.case_type): s for s in surveys}


def test_the_first_matching_rule_chooses_the_questionnaire_and_only_the_default_rotates(
    ctx: Context,
) -> None:
    surveys = _sample(ctx)
    assert {k: s.questionnaire for k, s in surveys.items()} == {
        "faktura": "short",
        "billing": "default",
        "delivery": "short",
    }
    # A questionnaire other than the default asks every one of its A1.2 b and c items.
    assert surveys["faktura"].asked_items == surveys["delivery"].asked_items == "manner,resolution"
    assert len(str(surveys["billing"].asked_items).split(",")) == 4
    with ctx.session() as session:
        first = min(s.closed_at for s in surveys.values())
        checked = verify_decisions(
            session,
            ctx.settings,
            start=first - timedelta(days=1),
            end=first + timedelta(days=1),
        )
    assert (checked.checked, checked.mismatches, checked.warnings) == (3, [], [])


def _stored(ctx: Context) -> Response:
    with ctx.session() as session:
        found = session.scalars(select(Response)).one()
        session.expunge(found)
        return found


def test_a_short_survey_is_asked_stored_and_reported_beside_the_default_by_item_id(
    ctx: Context, client: FlaskClient
) -> None:
    short = _sample(ctx)["faktura"]
    token = token_for(ctx, short)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    shown = {q for q in (*DEFAULT_ONLY, "overall", "manner", "resolution") if f'name="{q}"' in html}
    assert shown == {"overall", "manner", "resolution"}
    answer = {"overall": "5", "manner": "4", "resolution": "yes", "csrf_token": csrf_from(html)}
    assert client.post(f"/s/{token}", data=answer).status_code == 303
    response = _stored(ctx)
    assert (response.questionnaire, response.questionnaire_version) == ("short", 1)
    assert (response.overall, response.manner, response.resolution) == (5, 4, "yes")
    # It asked every item of its questionnaire: the thank-you page offers none more.
    thanks = client.get(f"/s/{token}/thanks")
    assert thanks.status_code == 200
    assert "<fieldset" not in thanks.get_data(as_text=True)

    with ctx.session() as session:
        default = make_survey(ctx, session, contact={"closed_at": short.closed_at})
        make_response(session, default, overall=2, manner=2, response_time=3, resolution="no")
    day = local_date(short.closed_at)
    request = ReportRequest(day, day + timedelta(days=1))
    with ctx.session() as session:
        total = satisfaction_report(session, request, min_group_size=1)["total"]
    assert (total["responses"], total["overall"]["n"], total["overall"]["mean"]) == (2, 2, 3.5)
    manner = total["contact_experience"]["items"]["manner"]
    assert (manner["n"], manner["mean"], manner["asked"]) == (2, 3.0, 2)
    # The short survey did not ask response_time: it counts neither as an answer nor as asked.
    response_time = total["contact_experience"]["items"]["response_time"]
    assert (response_time["n"], response_time["asked"]) == (1, 1)
    assert (total["resolution"]["n"], total["resolution"]["asked"]) == (2, 2)
    assert (total["resolution"]["yes"], total["resolution"]["no"]) == (0.5, 0.5)


def test_start_up_refuses_a_rule_naming_a_questionnaire_that_is_not_loaded(
    ctx: Context, settings_overrides: dict[str, Any]
) -> None:
    bad = [*RULES, "channel:sms=nosuch"]
    with pytest.raises(ConfigError, match=r"'channel:sms=nosuch' names questionnaire 'nosuch'"):
        start_context({**settings_overrides, "questionnaire_rules": bad})
    start_context(settings_overrides).store.dispose()


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        pytest.param("queue:kassa=short", "'queue:kassa=short' has key 'queue'", id="key"),
        pytest.param("case_type=short", "'case_type=short' is not of the form", id="form"),
    ],
)
def test_start_up_refuses_a_malformed_rule_naming_it(
    settings_overrides: dict[str, Any], rule: str, says: str
) -> None:
    with pytest.raises(ConfigError, match=rf"SURVEY_QUESTIONNAIRE_RULES: rule {says}"):
        start_context({**settings_overrides, "questionnaire_rules": [rule]})


def test_without_rules_every_survey_asks_the_default(
    make_ctx: Any, settings_overrides: dict[str, Any]
) -> None:
    ctx = make_ctx(questionnaire_rules=[])
    surveys = _sample(ctx)
    assert {s.questionnaire for s in surveys.values()} == {"default"}
    assert all(s.asked_items and len(s.asked_items.split(",")) == 4 for s in surveys.values())
