"""NPS and CES on SQLite and PostgreSQL: a questionnaire that asks them (the example, put in the
instance folder as the default), its page, and the report's `measures` against the answers."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest
from flask.testing import FlaskClient
from scipy import stats as sp
from sqlalchemy import select

from survey.context import Context
from survey.models import Response
from survey.reporting.report import ReportRequest, satisfaction_report
from tests.factories import (
    bearer,
    make_organisation_key,
    make_response,
    make_survey,
    utc,
)
from tests.integration.survey_pages import csrf_from, token_for

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "questionnaires"
    / "default-with-nps-ces.toml"
)
MEASURES = {"recommend": "nps", "effort": "ces"}
# (team, overall, recommend, effort): team-b has too few answers to show scores, and team-c is
# hidden with it (the next smallest), so that team-b's cannot be had by subtraction.
ANSWERS = [
    ("team-a", 5, 10, 7),
    ("team-a", 4, 9, 6),
    ("team-a", 4, 8, 6),
    ("team-a", 2, 3, 2),
    ("team-a", 3, 6, 4),
    ("team-a", 5, 10, 7),
    ("team-a", 4, 7, 5),
    ("team-b", 1, 0, 1),
    ("team-b", 5, 10, 7),
    ("team-c", 4, 9, 6),
    ("team-c", 4, 9, 5),
    ("team-c", 3, 5, 3),
    ("team-c", 5, 10, 7),
    ("team-c", 2, 1, 2),
]


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    folder = Path(settings_overrides["instance_path"]) / "questionnaires"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE, folder / "default.toml")
    return settings_overrides


def _seed(ctx: Context) -> None:
    with ctx.session() as session:
        for team, overall, recommend, effort in ANSWERS:
            survey = make_survey(
                ctx, session, contact={"closed_at": utc(2026, 3, 10), "team": team}
            )
            response = make_response(session, survey, overall=overall)
            response.answers = {"overall": overall, "recommend": recommend, "effort": effort}
            session.add(response)
            session.commit()


def _expected(rows: list[tuple[str, int, int, int]]) -> dict[str, Any]:
    scored = [1 if r[2] >= 9 else -1 if r[2] <= 6 else 0 for r in rows]
    n = len(scored)
    score = 100 * fmean(scored)
    half = (
        1.959963984540054
        * 100
        * math.sqrt(fmean([s * s for s in scored]) - fmean(scored) ** 2)
        / math.sqrt(n)
    )
    efforts = [r[3] for r in rows]
    ci = sp.t.interval(0.95, n - 1, loc=fmean(efforts), scale=sp.sem(efforts))
    return {
        "recommend": {
            "kind": "nps",
            "n": n,
            "score": score,
            "ci95": [max(score - half, -100), min(score + half, 100)],
        },
        "effort": {"kind": "ces", "n": n, "mean": fmean(efforts), "ci95": list(ci)},
    }


def test_the_report_gives_nps_and_ces_per_group_and_hides_small_groups(ctx: Context) -> None:
    _seed(ctx)
    request = ReportRequest(date(2026, 3, 1), date(2026, 4, 1), ("team",))
    with ctx.session() as session:
        report = satisfaction_report(session, request, min_group_size=5, measures=MEASURES)
    groups = {g["key"]["team"]: g for g in report["groups"]}
    _assert_close(groups["team-a"]["measures"], _expected([r for r in ANSWERS if r[0] == "team-a"]))
    for team, n in (("team-b", 2), ("team-c", 5)):
        assert groups[team]["measures"] == {
            "recommend": {"kind": "nps", "n": n, "score": None, "ci95": None},
            "effort": {"kind": "ces", "n": n, "mean": None, "ci95": None},
        }
    _assert_close(report["total"]["measures"], _expected(ANSWERS))


def _assert_close(found: dict[str, Any], expected: dict[str, Any]) -> None:
    assert found.keys() == expected.keys()
    for qid, figures in expected.items():
        point = {k: v for k, v in found[qid].items() if k != "ci95"}
        assert point == pytest.approx({k: v for k, v in figures.items() if k != "ci95"})
        assert found[qid]["ci95"] == pytest.approx(figures["ci95"])


def test_without_measures_the_report_has_no_measures_field(ctx: Context) -> None:
    _seed(ctx)
    request = ReportRequest(date(2026, 3, 1), date(2026, 4, 1))
    with ctx.session() as session:
        report = satisfaction_report(session, request, min_group_size=5)
    assert "measures" not in report["total"]


def test_the_api_report_names_the_configured_questions(ctx: Context, client: FlaskClient) -> None:
    _seed(ctx)
    key = make_organisation_key(ctx, "head-office", "reports")
    answer = client.get(
        "/api/v1/reports/satisfaction?from=2026-03-01&to=2026-04-01", headers=bearer(key)
    )
    assert answer.status_code == 200
    assert answer.get_json()["total"]["measures"]["recommend"]["n"] == len(ANSWERS)


def test_the_page_asks_nps_and_ces_and_stores_the_answers(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, asked_items="manner,efficiency,fcr,knowledge")
    token = token_for(ctx, survey)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert html.count('name="recommend"') == 11 and html.count('name="effort"') == 7
    assert "0 = Inte alls troligt" in html and "Mer om din upplevelse" in html
    form = {"csrf_token": csrf_from(html), "overall": "4", "recommend": "9", "effort": "6"}
    assert client.post(f"/s/{token}", data=form).status_code == 303
    with ctx.session() as session:
        response = session.scalars(select(Response)).one()
        assert (response.questionnaire_version, response.answers["recommend"]) == (2, 9)
        assert response.answers["effort"] == 6
