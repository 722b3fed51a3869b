"""The privacy notice every message links to."""

from __future__ import annotations

from survey.context import Context
from survey.delivery.messages import render_message
from tests.factories import make_survey


def test_the_notice_is_served_in_both_languages(client) -> None:
    swedish = client.get("/privacy?lang=sv")
    english = client.get("/privacy?lang=en")
    assert swedish.status_code == english.status_code == 200
    assert "Så hanterar vi dina personuppgifter" in swedish.get_data(as_text=True)
    assert "365 days after your contact" in english.get_data(as_text=True)
    assert swedish.headers["Referrer-Policy"] == "no-referrer"


def test_messages_and_pages_link_to_it(client, ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    assert survey.id is not None
    sms = render_message(
        ctx.settings, survey_id=survey.id, channel="sms", to="+46701234567", language="sv"
    )
    assert "https://survey.test/privacy" in sms.body
    page = client.get(f"/s/{sms.link.rsplit('/', 1)[1]}").get_data(as_text=True)
    assert 'href="/privacy"' in page
