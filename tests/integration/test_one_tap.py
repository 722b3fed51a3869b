"""The e-mail's one-tap links (/s/<token>?overall=N): a GET chooses, never answers, and a mail
scanner's burst of them does not count as opened."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey.context import Context
from survey.delivery.messages import AboutContact, render_message
from survey.models import Response, ResponseStatus, Survey
from survey.respondent.one_tap import record_tap
from tests.factories import make_survey
from tests.integration.survey_pages import csrf_from, token_for

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _sent_survey(ctx: Context, **fields: object) -> Survey:
    with ctx.session() as session:
        return make_survey(
            ctx,
            session,
            delivery_status="sent",
            sent_at=T0 - timedelta(hours=1),
            **fields,
        )


def _reload(ctx: Context, survey: Survey) -> Survey:
    with ctx.session() as session:
        found = session.get(Survey, survey.id)
        assert found is not None
        return found


def _responses(ctx: Context) -> int:
    with ctx.session() as session:
        return session.scalar(select(func.count()).select_from(Response)) or 0


def _one_tap_links(ctx: Context, survey: Survey) -> list[str]:
    assert survey.id is not None
    message = render_message(
        ctx.settings,
        survey_id=survey.id,
        channel="email",
        to="kund@example.se",
        language="sv",
        contact=AboutContact("phone", date(2026, 11, 28)),
    )
    links = re.findall(r"^(https://\S+\?overall=\d)$", message.body, re.MULTILINE)
    assert links == [f"{message.link}?overall={n}" for n in range(1, 6)]
    return [link.removeprefix(ctx.settings.base_url) for link in links]


def _follow_every_link(ctx: Context, client: FlaskClient, apart: timedelta) -> Survey:
    clock = Clock(T0)
    ctx.now = clock
    survey = _sent_survey(ctx)
    for path in _one_tap_links(ctx, survey):
        assert client.get(path).status_code == 200
        clock.now += apart
    assert _responses(ctx) == 0
    after = _reload(ctx, survey)
    assert after.responded_at is None and after.reminder_due_at == survey.reminder_due_at
    assert after.tapped_overall == 5
    return after


def test_a_scanner_following_every_link_answers_nothing_and_opens_nothing(
    ctx: Context, client: FlaskClient
) -> None:
    after = _follow_every_link(ctx, client, timedelta(milliseconds=300))
    assert after.response_status == ResponseStatus.pending and after.opened_at is None


def test_every_link_followed_slowly_answers_nothing_and_only_opens(
    ctx: Context, client: FlaskClient
) -> None:
    after = _follow_every_link(ctx, client, timedelta(seconds=6))
    assert after.response_status == ResponseStatus.opened and after.opened_at == T0


def test_one_tap_opens_the_page_with_the_score_chosen_and_saves_nothing(
    ctx: Context, client: FlaskClient
) -> None:
    ctx.now = Clock(T0)
    survey = _sent_survey(ctx)
    page = client.get(f"/s/{token_for(ctx, survey)}?overall=4")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'id="overall-4" name="overall" value="4" checked', html)
    assert len(re.findall(r"\schecked", html)) == 1
    assert "Inget sparas förrän du skickar dina svar" in html
    after = _reload(ctx, survey)
    assert after.response_status == ResponseStatus.opened and after.opened_at == T0
    assert _responses(ctx) == 0


def test_the_chosen_score_is_saved_once_the_form_is_sent(ctx: Context, client: FlaskClient) -> None:
    survey = _sent_survey(ctx)
    token = token_for(ctx, survey)
    html = client.get(f"/s/{token}?overall=2").get_data(as_text=True)
    sent = client.post(
        f"/s/{token}",
        data={"csrf_token": csrf_from(html), "questionnaire": "default", "overall": "2"},
    )
    assert sent.status_code == 303
    with ctx.session() as session:
        response = session.scalars(select(Response)).one()
    assert response.overall == 2


def test_a_person_who_changes_their_mind_later_still_counts_as_opened(
    ctx: Context, client: FlaskClient
) -> None:
    clock = Clock(T0)
    ctx.now = clock
    survey = _sent_survey(ctx)
    token = token_for(ctx, survey)
    client.get(f"/s/{token}?overall=3")
    clock.now += timedelta(seconds=30)
    client.get(f"/s/{token}?overall=4")
    after = _reload(ctx, survey)
    assert after.response_status == ResponseStatus.opened and after.opened_at == T0


def test_a_one_tap_link_of_an_answered_survey_changes_nothing(
    ctx: Context, client: FlaskClient
) -> None:
    survey = _sent_survey(ctx, response_status=ResponseStatus.answered)
    page = client.get(f"/s/{token_for(ctx, survey)}?overall=1")
    assert "Du har redan svarat" in page.get_data(as_text=True)
    after = _reload(ctx, survey)
    assert after.response_status == ResponseStatus.answered and after.tapped_at is None


def test_a_score_out_of_range_is_an_ordinary_view(ctx: Context, client: FlaskClient) -> None:
    survey = _sent_survey(ctx)
    html = client.get(f"/s/{token_for(ctx, survey)}?overall=9").get_data(as_text=True)
    assert " checked" not in html and "Inget sparas" not in html
    after = _reload(ctx, survey)
    assert after.response_status == ResponseStatus.opened and after.tapped_at is None


def test_a_view_recorded_on_a_stale_reading_is_refused(ctx: Context) -> None:
    """Two views at once (as a scanner makes them): the second's write, made on what it read
    before the first wrote, changes nothing, and it reads again."""
    survey = _sent_survey(ctx)
    assert survey.id is not None
    stale = Survey(response_status=ResponseStatus.pending, tapped_at=None)
    with ctx.session() as session:
        first = {"tapped_at": T0, "tapped_overall": 1}
        assert record_tap(session.connection(), survey.id, stale, first)
        second = {"tapped_at": T0, "tapped_overall": 2}
        assert not record_tap(session.connection(), survey.id, stale, second)
        session.commit()
    assert _reload(ctx, survey).tapped_overall == 1
