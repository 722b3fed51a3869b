from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import col

from survey.context import Context
from survey.models import Response, ResponseStatus, Survey
from tests.factories import make_survey
from tests.integration.survey_pages import csrf_from, fetch_csrf, token_for

FULL_ANSWER = {
    "overall": "4",
    "response_time": "3",
    "manner": "5",
    "clarity": "",
    "knowledge": "4",
    "efficiency": "2",
    "follow_up": "",
    "time_taken": "3",
    "resolution": "partly",
    "fcr": "no",
    "comment": "Trevlig personal",
}


def _survey(ctx: Context, **fields: object) -> tuple[Survey, str]:
    with ctx.session() as session:
        survey = make_survey(ctx, session, **fields)
    return survey, token_for(ctx, survey)


def _reload(ctx: Context, survey: Survey) -> Survey:
    with ctx.session() as session:
        found = session.get(Survey, survey.id)
        assert found is not None
        return found


def _responses(ctx: Context) -> list[Response]:
    with ctx.session() as session:
        return list(session.scalars(select(Response)).all())


def test_the_page_shows_every_question_as_a_labelled_group_in_the_survey_language(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx)
    page = client.get(f"/s/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="sv">' in html
    assert "Hur nöjd är du överlag med din kontakt med oss?" in html
    assert "Skicka mina svar" in html
    # 12 scales and choices are fieldsets; the comment is a labelled, bounded textarea.
    assert html.count("<fieldset") == 12
    assert html.count("<legend") == 12
    assert 'for="overall-5"' in html and 'id="overall-5"' in html
    assert 'id="manner-dont-know"' in html and 'id="overall-dont-know"' not in html
    assert '<textarea id="comment" name="comment" rows="2" maxlength="1000"' in html
    assert "personnummer" in html
    assert '<span class="visually-hidden">Hur nöjd var du med… </span>Hur du blev bemött' in html
    assert f"/o/{token}" in html
    assert "agent-1" not in html  # no agent name on the page


def test_opening_the_page_records_opened_once(ctx: Context, client: FlaskClient) -> None:
    survey, token = _survey(ctx)
    client.get(f"/s/{token}")
    first = _reload(ctx, survey)
    assert first.response_status == ResponseStatus.opened
    assert first.opened_at is not None
    client.get(f"/s/{token}")
    assert _reload(ctx, survey).opened_at == first.opened_at


def test_english_for_an_english_contact_and_a_visible_switch(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx, contact={"customer_language": "en"})
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Overall, how satisfied are you with your contact with us?" in html
    assert f'href="/s/{token}?lang=sv" lang="sv"' in html
    swedish = client.get(f"/s/{token}?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in swedish and "Skicka mina svar" in swedish
    # The chosen language is kept by the form.
    assert f'action="/s/{token}?lang=sv"' in swedish


def test_an_unknown_language_falls_back_to_the_survey_language(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx)
    html = client.get(f"/s/{token}?lang=xx").get_data(as_text=True)
    assert '<html lang="sv">' in html


def test_answering_stores_one_response_against_the_questionnaire_version(
    ctx: Context, client: FlaskClient
) -> None:
    survey, token = _survey(ctx)
    csrf = fetch_csrf(client, f"/s/{token}")
    answer = client.post(f"/s/{token}", data={**FULL_ANSWER, "csrf_token": csrf})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/s/{token}/thanks"
    [response] = _responses(ctx)
    assert (response.questionnaire, response.questionnaire_version) == ("default", 1)
    assert (response.overall, response.manner, response.clarity) == (4, 5, None)
    assert (response.resolution, response.fcr) == ("partly", "no")
    assert response.comment == "Trevlig personal"
    assert response.answers["clarity"] == "dont_know"
    assert "engagement" not in response.answers
    assert "comment" not in response.answers
    stored = _reload(ctx, survey)
    assert stored.response_status == ResponseStatus.answered
    assert stored.responded_at is not None
    thanks = client.get(f"/s/{token}/thanks")
    assert thanks.status_code == 200
    assert "Tack för dina svar" in thanks.get_data(as_text=True)


def test_errors_are_shown_beside_the_field_and_entered_values_are_kept(
    ctx: Context, client: FlaskClient
) -> None:
    survey, token = _survey(ctx)
    csrf = fetch_csrf(client, f"/s/{token}")
    form = {**FULL_ANSWER, "overall": "", "comment": "Min kommentar", "csrf_token": csrf}
    page = client.post(f"/s/{token}", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'aria-describedby="overall-error"' in html
    assert 'id="overall-error"' in html and "Välj ett svar på frågan." in html
    assert 'href="#q-overall"' in html
    assert 'id="manner-5" name="manner" value="5" checked' in html
    assert 'id="clarity-dont-know" name="clarity" value="" checked' in html
    assert ">Min kommentar</textarea>" in html
    assert _responses(ctx) == []
    assert _reload(ctx, survey).response_status == ResponseStatus.opened


def test_a_too_long_comment_is_refused_and_kept(ctx: Context, client: FlaskClient) -> None:
    _, token = _survey(ctx)
    csrf = fetch_csrf(client, f"/s/{token}")
    long_text = "å" * 1001
    page = client.post(
        f"/s/{token}", data={"overall": "3", "comment": long_text, "csrf_token": csrf}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="comment-error"' in html and "1001" in html
    assert f">{long_text}</textarea>" in html
    assert _responses(ctx) == []


def test_a_second_submission_says_already_answered_and_changes_nothing(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx)
    csrf = fetch_csrf(client, f"/s/{token}")
    client.post(f"/s/{token}", data={**FULL_ANSWER, "csrf_token": csrf})
    again = client.post(f"/s/{token}", data={"overall": "1", "csrf_token": csrf})
    assert again.status_code == 409
    assert "Du har redan svarat" in again.get_data(as_text=True)
    [response] = _responses(ctx)
    assert response.overall == 4
    revisit = client.get(f"/s/{token}")
    assert "Du har redan svarat" in revisit.get_data(as_text=True)
    assert "<fieldset" not in revisit.get_data(as_text=True)


def test_decline_records_a_decline_and_no_response(ctx: Context, client: FlaskClient) -> None:
    survey, token = _survey(ctx, reminder_due_at=None)
    csrf = fetch_csrf(client, f"/s/{token}")
    declined = client.post(f"/s/{token}?lang=en", data={"action": "decline", "csrf_token": csrf})
    assert declined.status_code == 303
    assert declined.headers["Location"] == f"/s/{token}?lang=en"
    stored = _reload(ctx, survey)
    assert stored.response_status == ResponseStatus.declined
    assert stored.reminder_due_at is None
    page = client.get(declined.headers["Location"])
    assert "You have declined this survey" in page.get_data(as_text=True)
    late = client.post(f"/s/{token}", data={"overall": "5", "csrf_token": csrf})
    assert late.status_code == 409
    assert _responses(ctx) == []


def test_decline_cancels_a_planned_reminder(ctx: Context, client: FlaskClient) -> None:
    survey, token = _survey(ctx)
    with ctx.session() as session:
        row = session.get(Survey, survey.id)
        assert row is not None
        row.reminder_due_at = ctx.now() + timedelta(days=1)
        session.commit()
    csrf = fetch_csrf(client, f"/s/{token}")
    client.post(f"/s/{token}", data={"action": "decline", "csrf_token": csrf})
    assert _reload(ctx, survey).reminder_due_at is None


def test_an_expired_survey_shows_a_kind_page_and_takes_no_answer(
    ctx: Context, client: FlaskClient
) -> None:
    survey, token = _survey(ctx, expires_at=ctx.now() - timedelta(minutes=1))
    page = client.get(f"/s/{token}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "This survey has closed" in html and "<form" not in html
    assert _reload(ctx, survey).response_status == ResponseStatus.pending
    post = client.post(f"/s/{token}", data={"overall": "5"})
    assert post.status_code == 400
    assert _responses(ctx) == []


def test_a_survey_past_its_expiry_after_sending_is_closed(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx, sent_at=ctx.now() - timedelta(days=ctx.settings.expiry_days + 1))
    assert client.get(f"/s/{token}").status_code == 410


def test_unknown_and_tampered_tokens_get_a_404_that_reveals_nothing(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    from survey.tokens import make_token

    no_such_survey = make_token(ctx.settings.secret_key, 999_999)
    pages = [client.get(f"/s/{t}") for t in (tampered, no_such_survey, "short", "x" * 32)]
    bodies = {p.get_data(as_text=True) for p in pages}
    assert {p.status_code for p in pages} == {404}
    assert len(bodies) == 1  # the same page whatever was wrong
    assert "Sidan hittades inte" in bodies.pop()
    assert client.get(f"/o/{tampered}").status_code == 404
    assert client.post(f"/o/{tampered}").status_code == 404


def test_the_short_questionnaire_stores_its_answers_as_short(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx, questionnaire="short")
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert html.count("<fieldset") == 3
    csrf = csrf_from(html)
    client.post(
        f"/s/{token}",
        data={"overall": "5", "manner": "4", "resolution": "yes", "csrf_token": csrf},
    )
    [response] = _responses(ctx)
    assert (response.questionnaire, response.questionnaire_version) == ("short", 1)
    assert (response.overall, response.manner, response.resolution) == (5, 4, "yes")


def test_the_thank_you_page_waits_for_an_answer(ctx: Context, client: FlaskClient) -> None:
    _, token = _survey(ctx)
    early = client.get(f"/s/{token}/thanks")
    assert early.status_code == 303
    assert early.headers["Location"] == f"/s/{token}"


def test_one_response_per_survey_even_when_two_submissions_race(ctx: Context) -> None:
    """The second of two submissions that both saw an open survey is refused by the database."""
    from survey.questionnaire import load_questionnaires
    from survey.respondent.answers import PageState, SurveyClosed, submit_answers

    questionnaire = load_questionnaires()["default"]
    survey, _ = _survey(ctx)
    with ctx.session() as first, ctx.session() as second:
        # Each reads, then ends its transaction (SQLite takes its write lock when one begins).
        seen_by_first = first.get(Survey, survey.id)
        first.commit()
        seen_by_second = second.get(Survey, survey.id)
        second.commit()
        assert seen_by_first is not None and seen_by_second is not None
        submit_answers(first, seen_by_first, questionnaire, {"overall": 5}, now=ctx.now())
        try:
            submit_answers(second, seen_by_second, questionnaire, {"overall": 1}, now=ctx.now())
        except SurveyClosed as exc:
            assert exc.state == PageState.answered
        else:
            raise AssertionError("the second submission was accepted")
    with ctx.session() as session:
        count = session.scalar(
            select(func.count()).select_from(Response).where(col(Response.survey_id) == survey.id)
        )
    assert count == 1


def test_a_comment_is_stored_without_phone_email_or_personal_identity_number(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx)
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert "Telefonnummer, e-postadresser och personnummer ersätts med [borttaget]" in page
    english = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert "e-mail addresses and personal identity numbers are replaced by [borttaget]" in english
    comment = (
        "Ring mig på 070-123 45 67 eller +46 8 123 456 78, mejla anna.svensson@example.se. "
        "Mitt personnummer 19811218-9876, samordningsnummer 811278-9873. Ärende 12345, 1500 kr."
    )
    form = {**FULL_ANSWER, "comment": comment, "csrf_token": csrf_from(page)}
    assert client.post(f"/s/{token}", data=form).status_code == 303
    [response] = _responses(ctx)
    assert response.comment == (
        "Ring mig på [borttaget] eller [borttaget], mejla [borttaget]. "
        "Mitt personnummer [borttaget], samordningsnummer [borttaget]. Ärende 12345, 1500 kr."
    )
