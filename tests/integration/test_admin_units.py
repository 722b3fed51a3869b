"""The drill-down pages: organisation -> actor -> team -> agent, with their filters in the URL,
the minimum group size everywhere, a team's p-chart and agents' ranking, agent pages only per
single week or month and never with agent-level reporting off, and the roles' limits."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient

from survey.context import Context
from survey.models import Actor
from survey.sampling.draw import STOCKHOLM
from tests.factories import make_actor, make_response, make_survey
from tests.integration.admin_users import log_in_as

MONDAY = date(2026, 1, 12)  # ISO week 2026-W03
FOUR_WEEKS = {"from": "2026-01-12", "to": "2026-02-09"}
WEEK_3 = {"from": "2026-01-12", "to": "2026-01-19"}
TEAM = "/admin/units/north/billing"
# Team "billing" of actor north, per week: the agents' overall scores. W05 (the third week)
# falls far below the team's pooled CSAT of 50/81.
WEEKS: list[dict[str, list[int]]] = [
    {
        "anna": [5, 5, 4, 4, 5, 4],
        "bo": [4, 5, 2, 3, 4, 5],
        "cy": [1, 2],
        "dag": [5, 4, 4, 5, 4, 2, 1],
    },
    {"anna": [5] * 8 + [2, 1], "dag": [4] * 8 + [3, 3]},
    {"anna": [4, 5] + [1] * 8, "dag": [2] * 10},
    {"anna": [5] * 9 + [3], "dag": [4] * 8 + [1, 2]},
]


def _answer(ctx: Context, actor: Actor, day: date, overall: int, **contact: Any) -> None:
    closed = datetime(day.year, day.month, day.day, 12, tzinfo=STOCKHOLM)
    with ctx.session() as session:
        survey = make_survey(ctx, session, actor=actor, contact={"closed_at": closed, **contact})
        make_response(session, survey, overall=overall, manner=overall, efficiency=3)


@pytest.fixture
def data(ctx: Context) -> None:
    with ctx.session() as session:
        north, south, east = (make_actor(session, name) for name in ("north", "south", "east"))
    for week, agents in enumerate(WEEKS):
        for agent, scores in agents.items():
            for i, score in enumerate(scores):
                day = MONDAY + timedelta(weeks=week, days=i % 5)
                _answer(ctx, north, day, score, team="billing", agent=agent)
    for score in (4, 5, 3):  # south: three answers, below the minimum of five
        _answer(ctx, south, MONDAY, score, team="small", agent="eve")
    for score in (4, 5, 3, 4, 4, 5, 2, 4):  # east: hidden with south (by subtraction)
        _answer(ctx, east, MONDAY, score, team="east-team", agent="fay")


def _comment(ctx: Context, actor_name: str, day: date, texts: list[str]) -> None:
    from sqlmodel import select

    with ctx.session() as session:
        actor = session.execute(select(Actor).where(Actor.name == actor_name)).scalar_one()
        for i, text in enumerate(texts):
            closed = datetime(day.year, day.month, day.day, 10, tzinfo=STOCKHOLM)
            # Two agents: a group of comments all from one agent is never listed.
            contact = {"closed_at": closed, "team": "billing", "agent": ("anna", "bo")[i % 2]}
            survey = make_survey(ctx, session, actor=actor, contact=contact)
            make_response(session, survey, overall=4, comment=text)


def _page(client: FlaskClient, path: str, **query: str) -> tuple[int, str]:
    answer = client.get(path, query_string=query) if query else client.get(path)
    return answer.status_code, answer.get_data(as_text=True)


def _row(html: str, name: str) -> str:
    """The text of the table row whose heading links to `name`."""
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    found = [row for row in rows if f">{name}</a>" in row]
    assert len(found) == 1, (name, rows)
    return _text(found[0]).strip()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def admin(ctx: Context, client: FlaskClient) -> FlaskClient:
    return log_in_as(ctx, client, "admin")


@pytest.mark.usefixtures("data")
def test_the_organisation_lists_its_actors_with_links_and_hides_the_small_ones(
    admin: FlaskClient,
) -> None:
    status, html = _page(admin, "/admin/units", **FOUR_WEEKS)
    assert status == 200, html
    assert '<a href="/admin/units/north?from=2026-01-12&amp;to=2026-02-09&amp;grain=week">' in html
    text = _text(html)
    assert "The organisation: all actors" in text
    # 81 + 3 + 8 answers; south (3) is hidden and east with it, north is shown.
    assert "61.7 %" in _row(html, "north")  # 50 of 81 gave 4 or 5
    for hidden in ("south", "east"):  # counts and response rate, no CSAT, no mean
        assert _row(html, hidden).endswith("100.0 %" + " \u2013" * 4), _row(html, hidden)
    assert "<svg" in html and "Answers per overall score" in text


@pytest.mark.usefixtures("data")
def test_an_actor_page_shows_its_teams_trend_items_and_kpis(admin: FlaskClient) -> None:
    status, html = _page(admin, "/admin/units/north", **FOUR_WEEKS)
    assert status == 200, html
    text = _text(html)
    assert "Actor north" in text
    assert 'href="/admin/units/north/billing?from=2026-01-12' in html
    for week in ("2026-W03", "2026-W04", "2026-W05", "2026-W06"):
        assert week in text
    assert "Contact experience and case handling" in text
    assert "Manner" in text and "3.00" in text  # every efficiency answer was 3
    assert "Contacts" in text and "81" in text
    assert 'class="band"' in html  # the interval drawn as a band


@pytest.mark.usefixtures("data")
def test_a_team_page_flags_the_week_out_of_control_on_its_p_chart(admin: FlaskClient) -> None:
    status, html = _page(admin, TEAM, **FOUR_WEEKS)
    assert status == 200, html
    assert 'data-out-of-control="2026-W05"' in html
    assert html.count('data-outside="below"') == 1
    assert "Outside the control limits: 2026-W05." in _text(html)
    assert html.count('class="dot flagged"') == 1
    # Four weeks are not one week or month: no ranking, an offer of the last whole week.
    assert "Agents are shown for one ISO week or calendar month only." in _text(html)
    assert 'href="/admin/units/north/billing?from=2026-02-02&amp;to=2026-02-09' in html


@pytest.mark.usefixtures("data")
def test_a_team_week_ranks_its_agents_with_intervals_and_hides_the_small_ones(
    admin: FlaskClient,
) -> None:
    status, html = _page(admin, TEAM, **WEEK_3)
    assert status == 200, html
    text = _text(html)
    assert "Shrunk mean" in text and "95 % interval" in text
    assert 'href="/admin/units/north/billing/dag?from=2026-01-12&amp;to=2026-01-19"' in html
    assert re.search(r'data-hidden="agents">2 agent\(s\) not shown', html)
    assert "cy" in text.split("not shown", 1)[1]
    assert "/admin/units/north/billing/cy" not in html


@pytest.mark.usefixtures("data")
def test_an_agent_page_shows_one_week_and_its_trend_of_whole_weeks(admin: FlaskClient) -> None:
    status, html = _page(admin, f"{TEAM}/dag", **WEEK_3)
    assert status == 200, html
    text = _text(html)
    assert "Agent dag, team billing at north" in text
    assert "2025-W44" in text and "2026-W03" in text  # twelve weeks up to the one chosen
    assert "Responses 7" in text
    assert "Comments are listed by actor, team and ISO week, never by agent." in text


@pytest.mark.usefixtures("data")
@pytest.mark.parametrize(
    "query",
    [
        FOUR_WEEKS,
        {"from": "2026-01-13", "to": "2026-01-20"},
        {"from": "2026-01-12", "to": "2026-01-26"},
    ],
)
def test_an_agent_page_is_refused_for_any_other_period(
    admin: FlaskClient, query: dict[str, str]
) -> None:
    status, html = _page(admin, f"{TEAM}/dag", **query)
    assert status == 400
    assert 'data-param="from, to"' in html
    assert "one ISO week" in _text(html)
    assert "dag" not in _text(html).split("Refused parameter", 1)[1].replace("dag,", "")


@pytest.mark.usefixtures("data")
@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"grain": "day"}, "grain"),
        ({"channel": "fax"}, "channel"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "soon"}, "to"),
        ({"case_type": "x" * 101}, "case_type"),
    ],
)
def test_an_invalid_filter_gets_a_400_page_naming_it(
    admin: FlaskClient, query: dict[str, str], param: str
) -> None:
    status, html = _page(admin, "/admin/units/north", **query)
    assert status == 400
    assert f'data-param="{param}"' in html
    assert f"Refused parameter: {param}" in _text(html)


@pytest.mark.usefixtures("data")
def test_a_team_split_by_channel_is_shown_only_per_whole_week(admin: FlaskClient) -> None:
    status, html = _page(admin, TEAM, channel="phone", **FOUR_WEEKS)
    assert status == 400
    assert 'data-param="from, to, group_by"' in html
    status, html = _page(admin, TEAM, channel="phone", **WEEK_3)
    assert status == 200, html
    assert "Comments are not listed by channel or case type" in _text(html)
    status, html = _page(admin, TEAM, channel="chat", **WEEK_3)
    assert status == 200 and "No surveys in this period." in _text(html)


@pytest.mark.usefixtures("data")
def test_a_unit_below_the_minimum_shows_counts_but_no_scores(admin: FlaskClient) -> None:
    status, html = _page(admin, "/admin/units/south/small", **FOUR_WEEKS)
    assert status == 200, html
    text = _text(html)
    assert 'data-hidden="scores"' in html
    assert "Responses 3" in text
    assert "Hidden while the scores are hidden" in text
    assert 'data-hidden="cell"' in html and 'data-hidden="trend"' in html
    assert "No week with shown scores: there is no chart." in text


@pytest.mark.usefixtures("data")
def test_an_unknown_actor_is_not_found(admin: FlaskClient) -> None:
    assert admin.get("/admin/units/nobody").status_code == 404


@pytest.mark.usefixtures("data")
@pytest.mark.parametrize("role", ["dpo", "followup"])
def test_only_admins_and_analysts_see_the_pages(
    ctx: Context, client: FlaskClient, role: str
) -> None:
    log_in_as(ctx, client, role)
    for path in ("/admin/units", "/admin/units/north", TEAM, f"{TEAM}/dag"):
        assert client.get(path, query_string=WEEK_3).status_code == 403


@pytest.mark.usefixtures("data")
def test_an_analyst_reads_comments_by_team_and_week_in_groups_of_the_minimum(
    ctx: Context, client: FlaskClient
) -> None:
    _comment(ctx, "north", MONDAY, ["Fast help", "Kind", "Clear answer", "Good", "Slow start"])
    _comment(ctx, "north", MONDAY + timedelta(weeks=1), ["Rude", "Late", "Lost"])
    log_in_as(ctx, client, "analyst")
    status, html = _page(client, TEAM, **FOUR_WEEKS)
    assert status == 200, html
    text = _text(html)
    for shown in ("Fast help", "Kind", "Clear answer", "Good", "Slow start"):
        assert shown in text
    for small in ("Rude", "Late", "Lost"):  # three comments: below the minimum group
        assert small not in text
    comments = text.split("Comments by actor, team and week", 1)[1]
    assert "2026-W03" in comments and "anna" not in comments
    status, html = _page(client, f"{TEAM}/anna", **WEEK_3)
    assert status == 200 and "Fast help" not in _text(html)
    status, html = _page(client, TEAM, **{"from": "2026-01-13", "to": "2026-02-09"})
    assert "Comments are listed per whole ISO week" in _text(html)


class TestAgentReportingOff:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**settings_overrides, "agent_reporting": False}

    @pytest.mark.usefixtures("data")
    def test_agent_pages_are_absent_and_teams_name_no_agent(self, admin: FlaskClient) -> None:
        assert admin.get(f"{TEAM}/dag", query_string=WEEK_3).status_code == 404
        status, html = _page(admin, TEAM, **WEEK_3)
        assert status == 200, html
        assert "Agent-level reporting is turned off" in _text(html)
        assert "/admin/units/north/billing/" not in html
        assert not re.search(r"\b(anna|bo|cy|dag)\b", _text(html))


def _link(html: str, name: str) -> str:
    found = re.search(rf'<a href="([^"]+)">{re.escape(name)}</a>', html)
    assert found, (name, html)
    return unescape(found[1])


def test_names_with_a_slash_are_carried_in_the_query_string(
    ctx: Context, admin: FlaskClient
) -> None:
    with ctx.session() as session:
        west = make_actor(session, "west/2")
    for score in (5, 4, 4, 5, 3, 4):
        _answer(ctx, west, MONDAY, score, team="a/b", agent="x/y")
    status, html = _page(admin, "/admin/units", **WEEK_3)
    assert status == 200, html
    status, html = _page(admin, _link(html, "west/2"))
    assert status == 200 and "Actor west/2" in _text(html)
    status, html = _page(admin, _link(html, "a/b"))
    assert status == 200 and "Team a/b at west/2" in _text(html)
    status, html = _page(admin, _link(html, "x/y"))
    assert status == 200 and "Agent x/y, team a/b at west/2" in _text(html)
    assert "Responses 6" in _text(html)


def test_a_team_without_its_actor_is_refused(admin: FlaskClient) -> None:
    status, html = _page(admin, "/admin/units", team="billing")
    assert status == 400
    assert 'data-param="actor"' in html


@pytest.mark.usefixtures("data")
def test_the_team_page_reads_in_swedish_by_default(ctx: Context, client: FlaskClient) -> None:
    from tests.integration.test_admin_language import ENGLISH_PHRASES

    log_in_as(ctx, client, "analyst", language="sv")
    status, html = _page(client, TEAM, **WEEK_3)
    assert status == 200, html
    text = _text(html)
    assert "Team billing hos north" in text
    assert "Styrdiagram (p-diagram) över kundnöjdhet per vecka" in text
    assert "Krympt medelvärde" in text
    english = [p for p in ENGLISH_PHRASES if p in text]
    english += [p for p in ("Agents", "Shrunk", "Control chart", "Hidden", "Item") if p in text]
    assert english == []
