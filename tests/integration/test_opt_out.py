from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import col

from survey.context import Context
from survey.identifiers import identifier_hashes
from survey.models import OptOut, ResponseStatus, Survey
from survey.optouts import opted_out_hashes, record_opt_out
from tests.factories import make_survey
from tests.integration.survey_pages import csrf_from, fetch_csrf, token_for

CUSTOMER = {
    "customer_phone": "+46701234567",
    "customer_email": "kund@example.se",
    "customer_ref": "K-1001",
}


def _survey(ctx: Context, **fields: object) -> tuple[Survey, str]:
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact=CUSTOMER, **fields)
    return survey, token_for(ctx, survey)


def _customer_hashes(ctx: Context) -> set[str]:
    return set(
        identifier_hashes(
            ctx.settings.identifier_key,
            CUSTOMER["customer_phone"],
            CUSTOMER["customer_email"],
            CUSTOMER["customer_ref"],
        )
    )


def _opted_out(ctx: Context) -> set[str]:
    with ctx.session() as session:
        return opted_out_hashes(session, _customer_hashes(ctx))


def _status(ctx: Context, survey: Survey) -> str:
    with ctx.session() as session:
        found = session.get(Survey, survey.id)
        assert found is not None
        return found.response_status


def test_the_opt_out_page_asks_before_doing_anything(ctx: Context, client: FlaskClient) -> None:
    _, token = _survey(ctx)
    page = client.get(f"/o/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Inga fler enkäter" in html
    assert f'action="/o/{token}"' in html
    assert _opted_out(ctx) == set()


def test_one_click_post_opts_out_every_identifier_without_a_csrf_token(
    ctx: Context, client: FlaskClient
) -> None:
    survey, token = _survey(ctx)
    # RFC 8058: the mail provider posts this body, with no cookie and no token.
    answer = client.post(
        f"/o/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert "Du får inga fler enkäter från oss" in answer.get_data(as_text=True)
    assert _opted_out(ctx) == _customer_hashes(ctx)
    assert _status(ctx, survey) == ResponseStatus.opted_out
    with ctx.session() as session:
        rows = session.scalars(select(OptOut)).all()
    assert {row.source for row in rows} == {
        "one-click"
    }  # SPEC section 6: the server names the source
    assert {row.survey_id for row in rows} == {survey.id}


def test_a_repeated_one_click_adds_no_entries(ctx: Context, client: FlaskClient) -> None:
    _, token = _survey(ctx)
    client.post(f"/o/{token}")
    client.post(f"/o/{token}")
    with ctx.session() as session:
        assert len(session.scalars(select(OptOut)).all()) == 3


def test_the_survey_page_of_an_opted_out_customer_offers_the_undo(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx)
    client.post(f"/o/{token}")
    page = client.get(f"/s/{token}?lang=en")
    html = page.get_data(as_text=True)
    assert "You will get no more surveys from us" in html
    assert f'href="/o/{token}?lang=en"' in html
    assert "<fieldset" not in html


def test_undo_lifts_the_opt_out_and_reopens_the_survey(ctx: Context, client: FlaskClient) -> None:
    survey, token = _survey(ctx)
    client.get(f"/s/{token}")
    done = client.post(f"/o/{token}")
    csrf = csrf_from(done.get_data(as_text=True))
    undo = client.post(f"/o/{token}/undo", data={"csrf_token": csrf})
    assert undo.status_code == 200
    assert "Du kan få enkäter från oss igen" in undo.get_data(as_text=True)
    assert _opted_out(ctx) == set()
    assert _status(ctx, survey) == ResponseStatus.opened
    with ctx.session() as session:
        entries = session.scalars(select(OptOut).order_by(col(OptOut.id))).all()
    assert [e.opted_out for e in entries] == [True] * 3 + [False] * 3


def test_undo_needs_the_form_token(ctx: Context, client: FlaskClient) -> None:
    _, token = _survey(ctx)
    client.post(f"/o/{token}")
    refused = client.post(f"/o/{token}/undo")
    assert refused.status_code == 400
    assert _opted_out(ctx) == _customer_hashes(ctx)


def test_opting_out_after_answering_keeps_the_answer(ctx: Context, client: FlaskClient) -> None:
    survey, token = _survey(ctx)
    csrf = fetch_csrf(client, f"/s/{token}")
    client.post(f"/s/{token}", data={"overall": "5", "csrf_token": csrf})
    client.post(f"/o/{token}")
    assert _status(ctx, survey) == ResponseStatus.answered
    assert _opted_out(ctx) == _customer_hashes(ctx)


def test_the_opt_out_page_is_in_the_survey_language(ctx: Context, client: FlaskClient) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact={**CUSTOMER, "customer_language": "en"})
    token = token_for(ctx, survey)
    html = client.get(f"/o/{token}").get_data(as_text=True)
    assert '<html lang="en">' in html and "No more surveys" in html


def test_the_page_form_and_one_click_are_told_apart(ctx: Context, client: FlaskClient) -> None:
    _, by_form = _survey(ctx)
    csrf = fetch_csrf(client, f"/o/{by_form}")
    assert client.post(f"/o/{by_form}", data={"csrf_token": csrf}).status_code == 200
    other = {**CUSTOMER, "customer_phone": "+46709999999", "customer_email": "x@example.se"}
    with ctx.session() as session:
        second = make_survey(ctx, session, contact={**other, "customer_ref": "K-2"})
    one_click = token_for(ctx, second)
    posted = client.post(f"/o/{one_click}", data={"List-Unsubscribe": "One-Click"})
    assert posted.status_code == 200
    with ctx.session() as session:
        sources = {(e.survey_id, e.source) for e in session.scalars(select(OptOut)).all()}
    assert {source for _, source in sources} == {"link", "one-click"}
    assert (second.id, "one-click") in sources


def test_undo_lifts_only_the_links_own_opt_out(ctx: Context, client: FlaskClient) -> None:
    """An SMS STOP (or an agent's opt-out) after the link's stands: undo on the page lifts
    only what that link registered, and the survey stays closed while another stands."""
    survey, token = _survey(ctx)
    done = client.post(f"/o/{token}")
    phone = identifier_hashes(ctx.settings.identifier_key, CUSTOMER["customer_phone"], None, None)
    with ctx.session() as session:
        record_opt_out(session, hashes=phone, source="sms-stop", now=ctx.now())
        session.commit()
    csrf = csrf_from(done.get_data(as_text=True))
    assert client.post(f"/o/{token}/undo", data={"csrf_token": csrf}).status_code == 200
    assert _opted_out(ctx) == set(phone)
    assert _status(ctx, survey) == ResponseStatus.opted_out


def test_undo_does_not_lift_an_opt_out_registered_elsewhere(
    ctx: Context, client: FlaskClient
) -> None:
    _, token = _survey(ctx)
    with ctx.session() as session:
        record_opt_out(
            session,
            hashes=dict.fromkeys(_customer_hashes(ctx), "phone"),
            source="api:in-house",
            now=ctx.now(),
        )
        session.commit()
    csrf = fetch_csrf(client, f"/o/{token}")
    assert client.post(f"/o/{token}/undo", data={"csrf_token": csrf}).status_code == 200
    assert _opted_out(ctx) == _customer_hashes(ctx)
