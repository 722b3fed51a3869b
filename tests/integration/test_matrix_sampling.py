"""Matrix sampling on SQLite and PostgreSQL: the sampler stores each survey's asked items,
balanced over many surveys; the page asks them and takes answers to them alone."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlmodel import col

from survey.context import Context
from survey.matrix import chooser, design_for
from survey.models import Response, Survey
from survey.sampling.job import run_sampling
from survey.sampling.verify import verify_decisions
from tests.factories import bulk_contacts, make_response, make_survey
from tests.integration.admin_users import log_in_as
from tests.integration.survey_pages import csrf_from, token_for

DEFAULT_SUBSET = "manner,clarity,efficiency,fcr"
B_ITEMS = {"response_time", "manner", "clarity", "knowledge", "engagement", "proactivity"}
C_ITEMS = {"efficiency", "follow_up", "time_taken", "resolution", "fcr"}


def test_over_ten_thousand_surveys_each_item_is_asked_within_two_points_of_its_share(
    make_ctx: Callable[..., Context],
) -> None:
    ctx = make_ctx(sampling_rate="1", frequency_cap_days="0")
    bulk_contacts(ctx, contacts=11_000, cases=11_000, seed=19)
    run_sampling(ctx, batch_size=5_000, workers=1)
    with ctx.session() as session:
        rows = session.execute(select(col(Survey.case_ref), col(Survey.asked_items))).all()
    assert len(rows) >= 10_000
    design = design_for(ctx.settings.instance_path, 4)
    choose = chooser(ctx.settings.sampling_secret, design)
    asked: Counter[str] = Counter()
    for case_ref, stored in rows:
        items = set(stored.split(","))
        assert len(items) == 4 and items & B_ITEMS and items & C_ITEMS
        assert stored == choose(case_ref)  # recomputable from the key and the case
        asked.update(items)
    assert set(asked) == B_ITEMS | C_ITEMS
    for item, count in asked.items():
        assert abs(count / len(rows) - 4 / 11) < 0.02, (item, count, len(rows))


def _rotated(ctx: Context) -> tuple[Survey, str]:
    with ctx.session() as session:
        survey = make_survey(ctx, session, asked_items=DEFAULT_SUBSET)
    return survey, token_for(ctx, survey)


def _response(ctx: Context) -> Response:
    with ctx.session() as session:
        found = session.scalars(select(Response)).one()
        session.expunge(found)
        return found


def test_the_page_asks_overall_the_stored_items_and_the_comment(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _rotated(ctx)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    shown = {qid for qid in B_ITEMS | C_ITEMS | {"overall", "comment"} if f'name="{qid}"' in html}
    assert shown == {"overall", "comment", *DEFAULT_SUBSET.split(",")}


def test_answers_to_items_the_survey_did_not_ask_are_not_stored(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _rotated(ctx)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    form = {
        "csrf_token": csrf_from(html),
        "questionnaire": "default",
        # A page that claims to have asked every item: the survey's own items decide.
        "asked": ",".join(sorted(B_ITEMS | C_ITEMS)),
        "overall": "4",
        "manner": "5",
        "knowledge": "2",
        "fcr": "yes",
        "resolution": "no",
    }
    assert client.post(f"/s/{token}", data=form).status_code == 303
    response = _response(ctx)
    assert (response.overall, response.manner, response.fcr) == (4, 5, "yes")
    assert response.knowledge is None and response.resolution is None
    assert set(response.answers) == {"overall", "manner", "fcr"}


def test_the_posted_page_answers_in_one_go_as_before(ctx: Context, client: FlaskClient) -> None:
    _, token = _rotated(ctx)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert f'name="asked" value="{DEFAULT_SUBSET}"' in html
    form = {
        "csrf_token": csrf_from(html),
        "questionnaire": "default",
        "asked": DEFAULT_SUBSET,
        "overall": "2",
        "clarity": "",
        "efficiency": "3",
    }
    assert client.post(f"/s/{token}", data=form).status_code == 303
    response = _response(ctx)
    assert (response.overall, response.clarity, response.efficiency) == (2, None, 3)
    assert response.answers["clarity"] == "dont_know"


def _answer(ctx: Context, client: FlaskClient, token: str) -> None:
    html = client.get(f"/s/{token}").get_data(as_text=True)
    form = {"csrf_token": csrf_from(html), "questionnaire": "default", "asked": DEFAULT_SUBSET}
    assert (
        client.post(f"/s/{token}", data={**form, "overall": "4", "manner": "3"}).status_code == 303
    )


def test_the_thank_you_page_offers_the_remaining_questions_and_keeps_them_apart(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _rotated(ctx)
    _answer(ctx, client, token)
    thanks = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    offered = {qid for qid in B_ITEMS | C_ITEMS if f'name="{qid}"' in thanks}
    assert offered == (B_ITEMS | C_ITEMS) - set(DEFAULT_SUBSET.split(","))
    extra = {
        "csrf_token": csrf_from(thanks),
        "knowledge": "2",
        "proactivity": "",
        "resolution": "yes",
        "manner": "1",  # asked, and answered already: not taken again
    }
    assert client.post(f"/s/{token}/more", data=extra).status_code == 303
    response = _response(ctx)
    assert response.volunteered == {"knowledge": 2, "proactivity": "dont_know", "resolution": "yes"}
    # The matrix statistics read the typed columns: the asked items' answers alone.
    assert (response.manner, response.knowledge, response.resolution) == (3, None, None)
    after = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert 'name="knowledge"' not in after and "andra frågorna också" in after
    # Once only: a second post changes nothing.
    client.post(f"/s/{token}/more", data={**extra, "knowledge": "5"})
    assert _response(ctx).volunteered == response.volunteered


def test_an_invalid_volunteered_answer_is_shown_again_and_nothing_is_stored(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _rotated(ctx)
    _answer(ctx, client, token)
    thanks = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    bad = {"csrf_token": csrf_from(thanks), "knowledge": "9", "engagement": "4"}
    page = client.post(f"/s/{token}/more", data=bad)
    assert page.status_code == 422
    assert 'id="knowledge-error"' in page.get_data(as_text=True)
    assert _response(ctx).volunteered is None


def test_a_survey_that_asked_every_item_offers_nothing_more(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    token = token_for(ctx, survey)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(
        f"/s/{token}",
        data={"csrf_token": csrf_from(html), "questionnaire": "default", "overall": "5"},
    )
    thanks = client.get(f"/s/{token}/thanks").get_data(as_text=True)
    assert "/more" not in thanks and 'name="manner"' not in thanks


def test_the_admin_report_shows_each_items_answers_asked_and_response_rate(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        for subset, manner in (("manner,efficiency,fcr,clarity", 4), (None, 2), (None, None)):
            survey = make_survey(ctx, session, asked_items=subset)
            make_response(session, survey, overall=4, manner=manner)
        make_response(session, make_survey(ctx, session, asked_items=DEFAULT_SUBSET), overall=3)
        make_response(
            session,
            make_survey(ctx, session, asked_items="knowledge,efficiency,fcr,time_taken"),
            overall=5,
        )
    log_in_as(ctx, client, "analyst")
    html = client.get("/admin/reports", query_string={"from": "2026-01-01", "to": "2027-01-01"})
    rows = dict(
        re.findall(r'<tr><th scope="row">(\w+)</th>(.*?)</tr>', html.get_data(as_text=True), re.S)
    )
    cells = re.findall(r"<td>(.*?)</td>", rows["manner"])
    # manner: asked by the two subsets naming it and the two surveys without one; two scores.
    assert cells == ["2", "3.00", "4", "50.0 %"]  # answers, mean, asked, response rate
    knowledge = re.findall(r"<td>(.*?)</td>", rows["knowledge"])
    assert (knowledge[0], knowledge[2]) == ("0", "3")


def test_audit_verify_recomputes_each_surveys_items_and_refuses_one_without_a_part(
    make_ctx: Callable[..., Context],
) -> None:
    ctx = make_ctx(sampling_rate="1", frequency_cap_days="0")
    bulk_contacts(ctx, contacts=60, cases=60, seed=23)
    run_sampling(ctx, batch_size=100, workers=1)
    with ctx.session() as session:
        refs = list(session.scalars(select(col(Survey.case_ref)).order_by(col(Survey.case_ref))))
        assert len(refs) > 10
        bounds = {
            "start": datetime(2026, 1, 1, tzinfo=UTC),
            "end": datetime(2027, 1, 1, tzinfo=UTC),
        }
        clean = verify_decisions(session, ctx.settings, **bounds)
        assert clean.ok and clean.warnings == []
        design = design_for(ctx.settings.instance_path, 4)
        other = next(",".join(s) for s in design.subsets if ",".join(s) != _asked(session, refs[0]))
        for ref, asked in ((refs[0], other), (refs[1], "manner,clarity,knowledge,engagement")):
            session.execute(
                update(Survey).where(col(Survey.case_ref) == ref).values(asked_items=asked)
            )
        session.commit()
        found = verify_decisions(session, ctx.settings, **bounds)
    assert [(m.case_ref, m.problem) for m in found.mismatches] == [
        (refs[1], "asks no A1.2 c item (manner,clarity,knowledge,engagement)")
    ]
    assert [m.case_ref for m in found.warnings] == [refs[0]]


def _asked(session: Any, ref: str) -> str:
    return str(session.scalar(select(col(Survey.asked_items)).where(col(Survey.case_ref) == ref)))
