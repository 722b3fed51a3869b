"""The survey page names the contact it is about, and its error summary reads as a sentence."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient

from survey.context import Context
from tests.factories import make_survey
from tests.integration.survey_pages import fetch_csrf, token_for


def _token(ctx: Context, **fields: object) -> str:
    with ctx.session() as session:
        return token_for(ctx, make_survey(ctx, session, **fields))


def test_the_page_says_which_contact_the_survey_is_about(ctx: Context, client: FlaskClient) -> None:
    call = _token(ctx, channel="phone", closed_local_date=date(2026, 11, 28))
    chat = _token(ctx, channel="chat", closed_local_date=date(2026, 11, 3))
    # The blank form is rendered once and cached: each survey still gets its own contact.
    first = client.get(f"/s/{call}").get_data(as_text=True)
    second = client.get(f"/s/{chat}").get_data(as_text=True)
    english = client.get(f"/s/{call}?lang=en").get_data(as_text=True)
    assert "Enkäten gäller ditt samtal med oss den 28 november." in first
    assert "Enkäten gäller din chatt med oss den 3 november." in second
    assert "This survey is about your call with us on 28 November." in english


def test_the_error_summary_quotes_the_question_instead_of_a_colon_after_it(
    ctx: Context, client: FlaskClient
) -> None:
    token = _token(ctx)
    csrf = fetch_csrf(client, f"/s/{token}")
    page = client.post(
        f"/s/{token}", data={"csrf_token": csrf, "questionnaire": "default", "manner": "7"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Välj ett svar på ”Hur nöjd är du överlag med din kontakt med oss?”" in html
    assert "Välj ett av svaren som visas för ”Hur du blev bemött”" in html
    assert "?:" not in html
