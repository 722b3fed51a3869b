"""The comments page (issue 18, SPEC section 6): analysts get texts with actor, team and ISO week
in groups of at least the minimum size whatever the filters; admin and dpo get one row per
answer with every column, filtered, paged and exported (audited); admin users mark a comment
handled with a note (audited)."""

from __future__ import annotations

import csv
import io
import itertools
import random
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import col, select

from survey.context import Context
from survey.models import AuditLog, CommentHandling, Response, Survey
from survey.reporting import comment_rows
from survey.sampling.draw import STOCKHOLM
from tests.factories import make_actor, make_response, make_survey
from tests.integration.admin_users import log_in_as

PERIOD = {"from": "2026-11-23", "to": "2026-12-07"}  # ISO weeks 48 and 49
MIN_SIZE = 5


def _answer(
    ctx: Context, actor: Any, day: datetime, overall: int, comment: str, **contact: Any
) -> int:
    with ctx.session() as session:
        survey = make_survey(ctx, session, actor=actor, contact={"closed_at": day, **contact})
        make_response(session, survey, overall=overall, comment=comment)
        assert survey.id is not None
        return survey.id


@pytest.fixture
def comments(ctx: Context) -> dict[str, int]:
    """Week 48: in-house team-a 8 comments from three agents over two channels and case types,
    team-c 5 from one agent; partner team-b 3. Week 49: in-house team-a 5. Survey ids by text."""
    with ctx.session() as session:
        in_house, partner = make_actor(session, "in-house"), make_actor(session, "partner")
    monday = datetime(2026, 11, 23, 12, tzinfo=STOCKHOLM)
    ids = {}
    for i in range(8):
        ids[f"alpha {i}"] = _answer(
            ctx,
            in_house,
            monday + timedelta(days=i % 5),
            1 + i % 5,
            f"alpha {i}",
            team="team-a",
            agent=f"a{i % 3}",
            channel=("phone", "email")[i % 2],
            case_type=("billing", "other")[i // 4],
        )
    for i in range(5):
        ids[f"solo {i}"] = _answer(
            ctx, in_house, monday, 2 + i % 3, f"solo {i}", team="team-c", agent="solo"
        )
    for i in range(3):
        ids[f"beta {i}"] = _answer(
            ctx, partner, monday + timedelta(days=1), 4, f"beta {i}", team="team-b", agent="b"
        )
    for i in range(5):
        ids[f"gamma {i}"] = _answer(
            ctx,
            in_house,
            monday + timedelta(days=7 + i % 4),
            3 + i % 3,
            f"gamma {i}",
            team="team-a",
            agent=f"a{i % 2}",
        )
    return ids


def _csv(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))


def _audited(ctx: Context, action: str) -> list[AuditLog]:
    with ctx.session() as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
        return list(session.exec(query))


FILTERS = {
    "actor": ["", "in-house", "partner"],
    "team": ["", "team-a", "team-b", "team-c"],
    "channel": ["", "phone", "email"],
    "case_type": ["", "billing", "other"],
    "score": [("", ""), ("1", "2"), ("4", "5"), ("5", "5"), ("3", "")],
    "q": ["", "alpha", "1", "a"],
    "weeks": [
        PERIOD,
        {"from": "2026-11-23", "to": "2026-11-30"},
        {"from": "2026-11-30", "to": "2026-12-07"},
    ],
}


def _combinations(count: int) -> list[dict[str, str]]:
    every = list(itertools.product(*FILTERS.values()))
    chosen = random.Random(18).sample(every, count)
    queries = []
    for actor, team, channel, case_type, (low, high), text, weeks in chosen:
        queries.append(
            {
                **weeks,
                "actor": actor,
                "team": team,
                "channel": channel,
                "case_type": case_type,
                "score_min": low,
                "score_max": high,
                "q": text,
            }
        )
    return queries


@pytest.mark.usefixtures("comments")
def test_no_combination_of_filters_lists_an_analyst_fewer_comments_than_the_minimum(
    ctx: Context, client: FlaskClient
) -> None:
    analyst = log_in_as(ctx, client, "analyst")
    shown_any = False
    unfiltered = {
        (weeks["from"], weeks["to"]): Counter(
            (actor, team, week)
            for actor, team, week, _ in _csv(
                analyst.get(
                    "/admin/reports/comments/export", query_string={**weeks, "format": "csv"}
                )
            )[1:]
        )
        for weeks in FILTERS["weeks"]
    }
    for query in _combinations(60):
        rows = _csv(
            analyst.get("/admin/reports/comments/export", query_string={**query, "format": "csv"})
        )
        assert rows[0] == ["actor", "team", "week", "comment"]
        groups = Counter((actor, team, week) for actor, team, week, _ in rows[1:])
        assert all(n >= MIN_SIZE for n in groups.values()), (query, groups)
        # What the filter left out of a group shown is none or at least the minimum too.
        left = [unfiltered[query["from"], query["to"]][key] - n for key, n in groups.items()]
        assert all(n == 0 or n >= MIN_SIZE for n in left), (query, groups)
        assert not any(text.startswith(("solo", "beta")) for *_, text in rows[1:])
        page = analyst.get("/admin/reports/comments", query_string=query).get_data(as_text=True)
        assert page.count('<td class="pre">') == len(rows) - 1, query
        if len(rows) == 1 and any(query[k] for k in query if k not in ("from", "to")):
            assert "data-below-minimum" in page and "nothing is shown" in page
        shown_any = shown_any or len(rows) > 1
    assert shown_any


@pytest.mark.usefixtures("comments")
def test_a_filter_leaving_out_fewer_than_the_minimum_of_a_group_shows_nothing(
    ctx: Context, client: FlaskClient
) -> None:
    analyst = log_in_as(ctx, client, "analyst")
    week_48 = {"from": "2026-11-23", "to": "2026-11-30"}
    # Seven of team-a's eight comments score at most 4: the eighth would stand out.
    page = analyst.get("/admin/reports/comments", query_string={**week_48, "score_max": "4"})
    html = page.get_data(as_text=True)
    assert "data-below-minimum" in html and '<td class="pre">' not in html
    # All eight score at least 1: nothing left out, all listed.
    page = analyst.get("/admin/reports/comments", query_string={**week_48, "score_min": "1"})
    assert page.get_data(as_text=True).count('<td class="pre">') == 8


@pytest.mark.usefixtures("comments")
def test_a_narrow_filter_shows_the_analyst_only_a_message(
    ctx: Context, client: FlaskClient
) -> None:
    analyst = log_in_as(ctx, client, "analyst")
    wide = analyst.get("/admin/reports/comments", query_string=PERIOD).get_data(as_text=True)
    assert wide.count('<td class="pre">') == 13  # team-a, weeks 48 and 49
    narrow = analyst.get("/admin/reports/comments", query_string={**PERIOD, "q": "alpha 1"})
    html = narrow.get_data(as_text=True)
    assert narrow.status_code == 200 and "data-below-minimum" in html
    assert "alpha 1" not in html.replace('value="alpha 1"', "")
    assert '<th scope="col" class="text">Agent</th>' not in wide and 'name="agent"' not in wide
    book = analyst.get(
        "/admin/reports/comments/export", query_string={**PERIOD, "format": "xlsx", "q": "a"}
    )
    sheet = load_workbook(io.BytesIO(book.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["actor", "team", "week", "comment"] and len(values) == 1 + 13
    [entry] = _audited(ctx, "export.comments")
    assert entry.details["format"] == "xlsx" and entry.details["filter"]["q"] == "a"


@pytest.mark.usefixtures("comments")
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"agent": "a1"}, "Agent"),
        ({"handled": "open"}, "Handling"),
        ({"score_min": "6"}, "Lowest score"),
        ({"score_min": "4", "score_max": "2"}, "Lowest score"),
        ({"from": "2026-11-24"}, "Mondays"),
    ],
)
def test_analysts_cannot_filter_by_agent_handling_bad_scores_or_part_weeks(
    ctx: Context, client: FlaskClient, query: dict[str, str], field: str
) -> None:
    analyst = log_in_as(ctx, client, "analyst")
    page = analyst.get("/admin/reports/comments", query_string={**PERIOD, **query})
    assert page.status_code == 400 and field in page.get_data(as_text=True)
    export = analyst.get("/admin/reports/comments/export", query_string={**PERIOD, **query})
    assert export.status_code == 400
    assert _audited(ctx, "export.comments") == []


@pytest.mark.parametrize("role", ["admin", "dpo"])
def test_admin_and_dpo_see_every_comment_with_all_columns_and_filter_it(
    ctx: Context, client: FlaskClient, comments: dict[str, int], role: str
) -> None:
    user = log_in_as(ctx, client, role)
    page = user.get("/admin/reports/comments", query_string=PERIOD).get_data(as_text=True)
    assert "21 comment(s)" in page and "solo 3" in page and "beta 2" in page
    for header in ("Date", "Score", "Actor", "Team", "Agent", "Channel", "Case type"):
        assert f">{header}</th>" in page
    query = {**PERIOD, "agent": "a1", "score_min": "2", "score_max": "4", "q": "ALPHA"}
    rows = _csv(user.get("/admin/reports/comments/export", query_string={**query, "format": "csv"}))
    assert rows[0] == list(comment_rows.COLUMNS)
    found = sorted(row[8] for row in rows[1:])
    expected = sorted(f"alpha {i}" for i in range(8) if i % 3 == 1 and 2 <= 1 + i % 5 <= 4)
    assert found == expected and expected
    assert all(row[5] == "a1" and row[0] == str(comments[row[8]]) for row in rows[1:])
    [entry] = _audited(ctx, "export.comment_rows")
    assert entry.who == f"admin:{role}@example.se" and entry.subject == "2026-11-23..2026-12-07"
    assert entry.details["rows"] == len(expected) and entry.details["format"] == "csv"
    assert entry.details["filter"]["agent"] == "a1" and entry.details["filter"]["q"] == "ALPHA"


def test_the_admin_export_comes_as_xlsx_and_pages_the_list(
    ctx: Context, client: FlaskClient, comments: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = log_in_as(ctx, client, "admin")
    book = admin.get(
        "/admin/reports/comments/export",
        query_string={**PERIOD, "format": "xlsx", "team": "team-c"},
    )
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == list(comment_rows.COLUMNS)
    assert sorted(row[8] for row in values[1:]) == [f"solo {i}" for i in range(5)]
    assert _audited(ctx, "export.comment_rows")[0].details["format"] == "xlsx"
    monkeypatch.setattr(comment_rows, "PER_PAGE", 4)
    pages = [
        admin.get(
            "/admin/reports/comments", query_string={**PERIOD, "team": "team-c", "page": n}
        ).get_data(as_text=True)
        for n in (1, 2)
    ]
    assert "page 1 of 2" in pages[0] and 'rel="next"' in pages[0]
    assert "page 2 of 2" in pages[1] and 'rel="prev"' in pages[1]
    shown = [set(re.findall(r"solo \d", page)) for page in pages]
    assert len(shown[0]) == 4 and len(shown[1]) == 1 and not shown[0] & shown[1]


def _handling_url(ctx: Context, survey_id: int) -> str:
    """The handling form's address of a survey's answer (it names the answer)."""
    with ctx.session() as session:
        answer = session.exec(select(Response).where(Response.survey_id == survey_id)).one()
    return f"/admin/reports/comments/{answer.id}/handled"


def _token(client: FlaskClient) -> str:
    page = client.get("/admin/reports/comments", query_string=PERIOD).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match[1]


def test_an_admin_marks_a_comment_handled_with_a_note_and_the_audit_log_records_it(
    ctx: Context, client: FlaskClient, comments: dict[str, int]
) -> None:
    admin = log_in_as(ctx, client, "admin")
    survey_id = comments["alpha 3"]
    url = _handling_url(ctx, survey_id)
    back = "/admin/reports/comments?from=2026-11-23&to=2026-12-07&team=team-a"
    answer = admin.post(
        url, data={"csrf_token": _token(admin), "note": "Called back", "back": back}
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith(back)
    page = admin.get(back).get_data(as_text=True)
    assert "Handled by admin:admin@example.se" in page and "Called back" in page
    still_open = admin.get("/admin/reports/comments", query_string={**PERIOD, "handled": "open"})
    assert "alpha 3" not in still_open.get_data(as_text=True)
    handled = admin.get("/admin/reports/comments", query_string={**PERIOD, "handled": "handled"})
    assert "1 comment(s)" in handled.get_data(as_text=True)
    admin.post(url, data={"csrf_token": _token(admin), "note": "Called back twice"})
    with ctx.session() as session:
        [row] = session.exec(select(CommentHandling)).all()
        assert row.survey_id == survey_id and row.note == "Called back twice"
        assert row.handled_by == "admin:admin@example.se"
    entries = _audited(ctx, "comment.handled")
    assert [(e.who, e.subject, e.details["replaced"]) for e in entries] == [
        ("admin:admin@example.se", f"survey:{survey_id}", False),
        ("admin:admin@example.se", f"survey:{survey_id}", True),
    ]
    assert entries[1].details["note_length"] == len("Called back twice")
    assert "Called back" not in str(entries[1].details)


def test_only_admins_mark_comments_handled_and_only_answers_with_comments(
    ctx: Context, client: FlaskClient, comments: dict[str, int]
) -> None:
    admin = log_in_as(ctx, client, "admin")
    token = _token(admin)
    assert (
        admin.post("/admin/reports/comments/999999/handled", data={"csrf_token": token}).status_code
        == 404
    )
    too_long = admin.post(
        _handling_url(ctx, comments["beta 0"]),
        data={"csrf_token": token, "note": "x" * 2001},
    )
    assert too_long.status_code == 400 and "note" in too_long.get_data(as_text=True)
    assert admin.post(_handling_url(ctx, comments["beta 0"]), data={"note": "x"}).status_code == 400
    admin.post("/admin/logout", data={"csrf_token": token})
    for role in ("dpo", "analyst"):
        user = log_in_as(ctx, client, role)
        answer = user.post(
            _handling_url(ctx, comments["beta 0"]),
            data={"csrf_token": _token(user), "note": "x"},
        )
        assert answer.status_code == 403
        user.post("/admin/logout", data={"csrf_token": _token(user)})
    assert _audited(ctx, "comment.handled") == []
    with ctx.session() as session:
        assert session.exec(select(CommentHandling)).all() == []
        assert session.get(Survey, comments["beta 0"]) is not None


def test_the_legacy_download_keeps_its_grouped_list(
    ctx: Context, client: FlaskClient, comments: dict[str, int]
) -> None:
    admin = log_in_as(ctx, client, "admin")
    rows = _csv(admin.get("/admin/reports/comments/download", query_string=PERIOD))
    assert rows[0] == ["actor", "team", "week", "comment"] and len(rows) == 1 + 13
