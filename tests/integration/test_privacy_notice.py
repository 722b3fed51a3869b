"""The privacy notice every message links to."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from survey.context import Context
from survey.delivery.messages import render_message
from survey.sampling.policy import change_policy
from tests.factories import make_survey

CONTROLLER = {
    "controller_name": "Exempelbolaget AB",
    "controller_contact": "dataskydd@exempelbolaget.se",
    "dpo_contact": "dpo@exempelbolaget.se",
}


def test_the_notice_is_served_in_both_languages(client) -> None:
    swedish = client.get("/privacy?lang=sv")
    english = client.get("/privacy?lang=en")
    assert swedish.status_code == english.status_code == 200
    assert "Så behandlar vi dina personuppgifter" in swedish.get_data(as_text=True)
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


class TestAConfiguredNotice:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**settings_overrides, **CONTROLLER, "retention_days": 180}

    def test_it_names_the_controller_contacts_and_the_authority_in_swedish(
        self, client: FlaskClient
    ) -> None:
        html = client.get("/privacy?lang=sv").get_data(as_text=True)
        assert "Exempelbolaget AB ansvarar för dina personuppgifter" in html
        assert "Frågor om dina uppgifter: dataskydd@exempelbolaget.se." in html
        assert "Vårt dataskyddsombud: dpo@exempelbolaget.se." in html
        assert "berättigade intresse" in html and "artikel 21" in html
        assert "Twilio" in html and "personuppgiftsbiträden" in html
        assert "klaga hos Integritetsskyddsmyndigheten (IMY)" in html
        assert 'href="https://www.imy.se"' in html
        assert "De raderas 180 dagar efter din kontakt." in html
        assert "besvaras i 7 dagar" in html and "en gång på 30 dagar" in html
        assert "efter 48 timmar skickar vi en påminnelse" in html

    def test_it_names_the_same_in_english(self, client: FlaskClient) -> None:
        html = client.get("/privacy?lang=en").get_data(as_text=True)
        assert "Exempelbolaget AB is responsible for your personal data (the controller)." in html
        assert "Questions about your data: dataskydd@exempelbolaget.se." in html
        assert "Our data protection officer: dpo@exempelbolaget.se." in html
        assert "Article 6(1)(f)" in html and "Article 21" in html
        assert "Write to dataskydd@exempelbolaget.se and we will help you." in html
        assert "Authority for Privacy Protection (Integritetsskyddsmyndigheten, IMY)" in html
        assert "They are deleted 180 days after your contact." in html

    def test_its_periods_are_the_policy_in_force(self, ctx: Context, client: FlaskClient) -> None:
        with ctx.session() as session:
            for key, value in (("expiry_days", 5), ("frequency_cap_days", 0)):
                change_policy(
                    session, key=key, value=value, who="test", reason="notice", now=ctx.now()
                )
        html = client.get("/privacy?lang=en").get_data(as_text=True)
        assert "answered for 5 days after it was sent" in html
        assert "more often than once in" not in html  # the cap is off


def test_without_a_configured_controller_it_names_the_organisation(client: FlaskClient) -> None:
    html = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "Kundservice is responsible for your personal data (the controller)." in html
    assert "Our data protection officer" not in html
    assert "Contact our customer service and we will help you." in html
