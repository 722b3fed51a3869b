"""No answer can be traced to a person through reports (SPEC section 6): scores by agent, or by
team split further, only per whole calendar week or month; per-answer rows only for admin and
dpo, audited; analysts get comments by actor, team and week in groups of the minimum size."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from survey.context import Context
from survey.models import Actor, AuditLog
from survey.sampling.draw import STOCKHOLM
from tests.factories import (
    bearer,
    make_actor,
    make_organisation_key,
    make_response,
    make_survey,
)
from tests.integration.admin_users import log_in, log_in_as, make_user
from tests.integration.survey_pages import token_for

WEEK_48 = {"from": "2026-11-23", "to": "2026-11-30"}  # Monday to Monday


def _noon(day: int) -> datetime:
    return datetime(2026, 11, day, 12, tzinfo=STOCKHOLM)


def _answer(
    ctx: Context, actor: Actor, day: int, overall: int, comment: str | None = None, **contact: Any
) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, actor=actor, contact={"closed_at": _noon(day), **contact}
        )
        make_response(session, survey, overall=overall, comment=comment)


@pytest.fixture
def issue_data(ctx: Context) -> None:
    """The issue's case: five answers on 28 Nov, and on 29 Nov one answer of 1 by one agent; a
    third agent answered six times earlier in the week."""
    with ctx.session() as session:
        actor = make_actor(session, "in-house")
    for score in (5, 5, 5, 4, 4):
        _answer(ctx, actor, 28, score, agent="many", case_type="billing")
    _answer(ctx, actor, 29, 1, agent="lone", case_type="complaint")
    for _ in range(6):
        _answer(ctx, actor, 24, 3, agent="other", case_type="billing")


def _get(client: FlaskClient, key: str, kind: str, **query: Any) -> Any:
    return client.get(f"/api/v1/reports/{kind}", query_string=query, headers=bearer(key))


@pytest.mark.usefixtures("issue_data")
@pytest.mark.parametrize("group_by", [["agent"], ["team", "case_type"]])
@pytest.mark.parametrize("kind", ["satisfaction", "kpi"])
def test_the_differencing_attack_of_the_issue_is_refused(
    ctx: Context, client: FlaskClient, group_by: list[str], kind: str
) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    for end in ("2026-11-29", "2026-11-30"):
        answer = _get(client, key, kind, **{"from": "2026-11-28", "to": end, "group_by": group_by})
        assert answer.status_code == 400, answer.get_json()
        body = answer.get_json()
        assert body["rule"] == "whole-calendar-periods"
        assert [p["name"] for p in body["invalid_params"]] == ["from", "to", "group_by"]
        assert "whole calendar week or month" in body["detail"]
    # Without the fine grouping the same ranges are answered (the total keeps its minimum).
    plain = _get(client, key, kind, **{"from": "2026-11-28", "to": "2026-11-30"})
    assert plain.status_code == 200


@pytest.mark.usefixtures("issue_data")
def test_a_whole_week_by_agent_is_answered_and_hides_the_small_agent(
    ctx: Context, client: FlaskClient
) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    answer = _get(client, key, "satisfaction", **WEEK_48, group_by="agent")
    assert answer.status_code == 200
    groups = {g["key"]["agent"]: g for g in answer.get_json()["groups"]}
    assert groups["lone"]["responses"] == 1 and groups["lone"]["overall"]["mean"] is None
    # The only other small group is hidden with it, so the total cannot give it away.
    assert groups["many"]["overall"]["mean"] is None
    assert groups["other"]["overall"]["mean"] == 3.0


@pytest.mark.usefixtures("issue_data")
def test_week_and_month_groupings_aligned_to_their_boundaries_are_answered(
    ctx: Context, client: FlaskClient
) -> None:
    key = make_organisation_key(ctx, "head-office", "reports")
    weeks = {"from": "2026-11-16", "to": "2026-12-07", "group_by": ["agent", "week"]}
    answer = _get(client, key, "satisfaction", **weeks)
    assert answer.status_code == 200
    lone = [g for g in answer.get_json()["groups"] if g["key"]["agent"] == "lone"]
    assert [g["key"]["week"] for g in lone] == ["2026-W48"]
    assert lone[0]["overall"]["mean"] is None
    months = {"from": "2026-10-01", "to": "2026-12-01", "group_by": ["team", "case_type", "month"]}
    assert _get(client, key, "satisfaction", **months).status_code == 200
    assert _get(client, key, "satisfaction", **{**months, "to": "2026-11-30"}).status_code == 400
    cut = {**weeks, "from": "2026-11-17"}
    assert _get(client, key, "satisfaction", **cut).status_code == 400
    by_day = {**WEEK_48, "group_by": ["agent", "day"]}
    assert _get(client, key, "kpi", **by_day).status_code == 400


@pytest.mark.usefixtures("issue_data")
def test_the_admin_page_refuses_in_the_pages_language(ctx: Context, client: FlaskClient) -> None:
    analyst = log_in_as(ctx, client, "analyst", language="sv")  # the admin's default
    query = {"from": "2026-11-28", "to": "2026-11-30", "group_by": "agent"}
    swedish = analyst.get("/admin/reports", query_string=query)
    assert swedish.status_code == 400
    assert "visas bara per hel kalendervecka eller kalendermånad" in swedish.get_data(as_text=True)
    english = analyst.get("/admin/reports", query_string={**query, "lang": "en"})
    assert "shown only per whole calendar week or month" in english.get_data(as_text=True)
    for fmt in ("csv", "xlsx", "json"):
        download = analyst.get("/admin/reports/download", query_string={**query, "format": fmt})
        assert download.status_code == 400
    assert analyst.get("/admin/kpis", query_string=query).status_code == 400
    week = analyst.get("/admin/reports", query_string={**WEEK_48, "group_by": "agent"})
    assert week.status_code == 200 and '<th scope="row">other</th>' in week.get_data(as_text=True)


def _audited(ctx: Context, action: str) -> list[AuditLog]:
    with ctx.session() as session:
        return list(
            session.exec(
                select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
            )
        )


@pytest.mark.usefixtures("issue_data")
def test_analysts_get_no_per_answer_rows(ctx: Context, client: FlaskClient) -> None:
    analyst = log_in_as(ctx, client, "analyst")
    for query in (WEEK_48, {**WEEK_48, "comments": "1"}, {**WEEK_48, "format": "csv-sv"}):
        assert analyst.get("/admin/reports/raw", query_string=query).status_code == 403
    page = analyst.get("/admin/reports", query_string=WEEK_48).get_data(as_text=True)
    assert "/admin/reports/raw" not in page and "/admin/reports/comments" in page
    assert _audited(ctx, "export.raw_answers") == []


@pytest.mark.usefixtures("issue_data")
@pytest.mark.parametrize("role", ["dpo", "admin"])
def test_per_answer_rows_are_for_admin_and_dpo_and_every_download_is_audited(
    ctx: Context, client: FlaskClient, role: str
) -> None:
    user = log_in_as(ctx, client, role)
    plain = user.get("/admin/reports/raw", query_string=WEEK_48)
    assert plain.status_code == 200
    rows = list(csv.reader(io.StringIO(plain.get_data(as_text=True))))
    assert "agent" in rows[0] and "comment" not in rows[0] and len(rows) == 1 + 12
    sv = user.get(
        "/admin/reports/raw", query_string={**WEEK_48, "comments": "1", "format": "csv-sv"}
    )
    assert sv.status_code == 200 and sv.data.startswith(b"\xef\xbb\xbf")
    entries = _audited(ctx, "export.raw_answers")
    assert [(e.who, e.subject) for e in entries] == [
        (f"admin:{role}@example.se", "2026-11-23..2026-11-30")
    ] * 2
    assert [e.details for e in entries] == [
        {"comments": False, "format": "csv", "rows": 12},
        {"comments": True, "format": "csv-sv", "rows": 12},
    ]


def _comment_data(ctx: Context) -> None:
    """Week 48: team-a has five comments, team-b two; week 49: team-a one."""
    with ctx.session() as session:
        actor = make_actor(session, "in-house")
    for i, text in enumerate(("slow", "Bra hjälp", "kind", "answered fast", "unclear")):
        _answer(ctx, actor, 24 + i % 3, 1 + i, text, team="team-a", agent=f"agent-{i}")
    _answer(ctx, actor, 25, 2, "rude", team="team-b", agent="agent-9")
    _answer(ctx, actor, 26, 5, "great", team="team-b", agent="agent-9")
    _answer(ctx, actor, 26, 5, None, team="team-b", agent="agent-9")
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            actor=actor,
            contact={"closed_at": datetime(2026, 12, 1, 12, tzinfo=STOCKHOLM), "team": "team-a"},
        )
        make_response(session, survey, overall=3, comment="next week")


@pytest.mark.parametrize("role", ["analyst", "dpo", "admin"])
def test_the_comments_list_shows_actor_team_and_week_in_groups_of_the_minimum_size(
    ctx: Context, client: FlaskClient, role: str
) -> None:
    _comment_data(ctx)
    user = log_in_as(ctx, client, role)
    query = {"from": "2026-11-23", "to": "2026-12-07"}
    page = user.get("/admin/reports/comments", query_string=query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    if role == "analyst":
        assert "2 other group(s) with 3 comment(s) left out" in html
        assert "rude" not in html and "next week" not in html and "agent-" not in html
    else:  # per-answer rows (tests/integration/test_comments_page.py)
        assert "rude" in html and "next week" in html and "agent-9" in html
    download = user.get("/admin/reports/comments/download", query_string=query)
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows == [
        ["actor", "team", "week", "comment"],
        *(
            ["in-house", "team-a", "2026-W48", text]
            for text in ("Bra hjälp", "answered fast", "kind", "slow", "unclear")
        ),
    ]
    [entry] = _audited(ctx, "export.comments")
    assert entry.who == f"admin:{role}@example.se" and entry.subject == "2026-11-23..2026-12-07"
    assert entry.details == {
        "format": "csv",
        "rows": 5,
        "left_out_groups": 2,
        "left_out_comments": 3,
    }


def test_the_comments_list_is_only_for_whole_weeks(ctx: Context, client: FlaskClient) -> None:
    analyst = log_in_as(ctx, client, "analyst")
    cut = {"from": "2026-11-24", "to": "2026-11-30"}
    page = analyst.get("/admin/reports/comments", query_string={**cut, "lang": "en"})
    assert page.status_code == 400
    assert "From and To must be Mondays" in page.get_data(as_text=True)
    assert analyst.get("/admin/reports/comments/download", query_string=cut).status_code == 400
    assert _audited(ctx, "export.comments") == []


@pytest.mark.parametrize(
    ("role", "landing"), [("dpo", "/admin/reports/comments"), ("analyst", "/admin/")]
)
def test_after_login_each_role_lands_on_a_page_it_may_see(
    ctx: Context, client: FlaskClient, role: str, landing: str
) -> None:
    answer = log_in(client, make_user(ctx, role))
    assert answer.status_code == 302 and answer.headers["Location"].endswith(landing)
    assert client.get(answer.headers["Location"]).status_code == 200


def test_followup_users_get_no_comments(ctx: Context, client: FlaskClient) -> None:
    user = log_in_as(ctx, client, "followup")
    assert user.get("/admin/reports/comments").status_code == 403
    assert "/admin/reports/comments" not in user.get("/admin/login").get_data(as_text=True)
    assert user.get("/admin/reports/raw").status_code == 403


def test_the_thank_you_page_says_what_the_reports_do(ctx: Context, client: FlaskClient) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
        make_response(session, survey, overall=4, comment="tack")
    token = token_for(ctx, survey)
    swedish = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "ingen kan se" not in swedish
    assert "grupper om minst 5 kunder, aldrig ett svar i taget" in swedish
    assert "hel vecka eller månad" in swedish and "analytiker" in swedish
    assert "dataskyddsombud" in swedish
    english = client.get(f"/s/{token}/thanks?lang=en").get_data(as_text=True)
    assert "groups of at least 5 customers, never one answer at a time" in english
    assert "whole week or month" in english
