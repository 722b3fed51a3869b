"""SURVEY_AGENT_REPORTING=off: no agent-level figure anywhere (SPEC section 6): the grouping is
refused by the API, the admin pages and the command line, and per-answer rows carry no agent."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from survey.context import Context
from survey.reporting.exports import raw_answers_columns
from survey.sampling.draw import STOCKHOLM
from tests.factories import bearer, make_organisation_key, make_response, make_survey
from tests.integration.admin_users import log_in_as
from tests.integration.survey_pages import token_for

WEEK_48 = {"from": "2026-11-23", "to": "2026-11-30"}


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "agent_reporting": False}


@pytest.fixture
def answered(ctx: Context) -> str:
    """Six answers by one agent in week 48; the token of the last."""
    with ctx.session() as session:
        for _ in range(6):
            survey = make_survey(
                ctx,
                session,
                contact={"closed_at": datetime(2026, 11, 24, 12, tzinfo=STOCKHOLM)},
            )
            make_response(session, survey, overall=4)
    return token_for(ctx, survey)


@pytest.mark.usefixtures("answered")
@pytest.mark.parametrize("kind", ["satisfaction", "kpi"])
def test_the_api_refuses_agent_grouping(ctx: Context, client: FlaskClient, kind: str) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    url = f"/api/v1/reports/{kind}"
    refused = client.get(url, query_string={**WEEK_48, "group_by": "agent"}, headers=bearer(key))
    assert refused.status_code == 400
    body = refused.get_json()
    assert body["rule"] == "agent-reporting-off"
    assert [p["name"] for p in body["invalid_params"]] == ["group_by"]
    assert "agent-level reporting is off" in body["detail"]
    by_team = client.get(url, query_string={**WEEK_48, "group_by": "team"}, headers=bearer(key))
    assert by_team.status_code == 200


@pytest.mark.usefixtures("answered")
def test_the_agent_ranking_and_the_change_by_agent_are_refused(
    ctx: Context, client: FlaskClient
) -> None:
    key = bearer(make_organisation_key(ctx, "head-office", "reports"))
    ranking = client.get("/api/v1/reports/agents", query_string=WEEK_48, headers=key)
    assert ranking.status_code == 400
    assert ranking.get_json()["rule"] == "agent-reporting-off"
    change = {**WEEK_48, "group_by": "agent"}
    refused = client.get("/api/v1/reports/change", query_string=change, headers=key)
    assert refused.status_code == 400
    assert refused.get_json()["rule"] == "agent-reporting-off"
    by_team = {**WEEK_48, "group_by": "team"}
    assert (
        client.get("/api/v1/reports/change", query_string=by_team, headers=key).status_code == 200
    )


@pytest.mark.usefixtures("answered")
def test_admin_pages_do_not_offer_agent(ctx: Context, client: FlaskClient) -> None:
    admin = log_in_as(ctx, client, "admin", language="sv")
    for path in ("/admin/reports", "/admin/kpis"):
        page = admin.get(path, query_string=WEEK_48).get_data(as_text=True)
        assert 'value="team"' in page and 'value="agent"' not in page, path
    refused = admin.get("/admin/reports", query_string={**WEEK_48, "group_by": "agent"})
    assert refused.status_code == 400
    assert "Rapportering per medarbetare är avstängd" in refused.get_data(as_text=True)
    download = {**WEEK_48, "group_by": "agent", "format": "xlsx"}
    assert admin.get("/admin/reports/download", query_string=download).status_code == 400


@pytest.mark.usefixtures("answered")
def test_per_answer_rows_carry_no_agent(ctx: Context, client: FlaskClient, runner: Any) -> None:
    dpo = log_in_as(ctx, client, "dpo")
    web = dpo.get("/admin/reports/raw", query_string={**WEEK_48, "comments": "1"})
    [header, *rows] = list(csv.reader(io.StringIO(web.get_data(as_text=True))))
    assert header == raw_answers_columns(True, with_agent=False)
    assert "agent" not in header and len(rows) == 6
    assert all("agent-1" not in row for row in rows)
    week = ("--from", "2026-11-23", "--to", "2026-11-30")
    cli = runner("report", *week, "--format", "csv", "--raw").output
    assert next(csv.reader(io.StringIO(cli))) == raw_answers_columns(False, with_agent=False)
    refused = runner("report", *week, "--group-by", "agent")
    assert refused.exit_code != 0 and "agent-level reporting is off" in refused.output


def test_the_thank_you_page_makes_no_promise_about_agent_figures(
    client: FlaskClient, answered: str
) -> None:
    page = client.get(f"/s/{answered}/thanks").get_data(as_text=True)
    assert "grupper om minst 5 kunder" in page
    assert "hel vecka eller månad" not in page


@pytest.mark.parametrize("role", ["admin", "dpo"])
def test_the_comments_page_has_no_agent_column_or_filter(
    ctx: Context, client: FlaskClient, role: str
) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            contact={"closed_at": datetime(2026, 11, 24, 12, tzinfo=STOCKHOLM), "agent": "lina"},
        )
        make_response(session, survey, overall=2, comment="slow answer")
    user = log_in_as(ctx, client, role)
    page = user.get("/admin/reports/comments", query_string=WEEK_48).get_data(as_text=True)
    assert "slow answer" in page and "lina" not in page
    assert ">Agent</th>" not in page and 'name="agent"' not in page
    export = {**WEEK_48, "format": "csv"}
    [header, row] = list(
        csv.reader(
            io.StringIO(
                user.get("/admin/reports/comments/export", query_string=export).get_data(
                    as_text=True
                )
            )
        )
    )
    assert "agent" not in header and "lina" not in row and "slow answer" in row
    refused = user.get("/admin/reports/comments", query_string={**WEEK_48, "agent": "lina"})
    assert refused.status_code == 400 and "Agent" in refused.get_data(as_text=True)
