"""The closed loop (issue 18, point 5): a consented answer that calls for it raises a follow-up
and a notice to the team lead in one scheduler pass; without consent nothing case-level goes
anywhere; the list is for followup users and admins, audited, and forgets with the person."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import col, select

from survey.context import Context
from survey.followups.raising import run_follow_ups
from survey.followups.recipients import set_follow_up_recipient
from survey.models import Actor, AuditLog, FollowUp, JobLock, OutboxMessage, Response
from survey.privacy.access import export_customer
from survey.privacy.erasure import erase_customer
from survey.privacy.query import CustomerQuery
from survey.privacy.retention import purge_expired
from tests.factories import make_actor, make_response, make_survey
from tests.integration.admin_users import log_in, log_in_as, make_user
from tests.integration.survey_pages import csrf_from, fetch_csrf, token_for

PHONE = "+46701234567"
LEAD = "teamlead-a@example.se"


def _answered(ctx: Context, *, consent: bool, actor: str = "in-house", **answers: Any) -> int:
    """An answered survey of the actor's team-a, answered just now; its id."""
    with ctx.session() as session:
        found = session.exec(select(Actor).where(Actor.name == actor)).first()
        survey = make_survey(
            ctx, session, actor=found or make_actor(session, actor), responded_at=ctx.now()
        )
        make_response(session, survey, contact_consent=consent, **answers)
        assert survey.id is not None
        return survey.id


def _lead(ctx: Context, team: str = "team-a", email: str = LEAD) -> None:
    with ctx.session() as session:
        set_follow_up_recipient(
            session, actor_name="in-house", team=team, email=email, who="admin:test"
        )


def _actions(ctx: Context, prefix: str) -> list[AuditLog]:
    with ctx.session() as session:
        query = select(AuditLog).where(col(AuditLog.action).startswith(prefix))
        return list(session.exec(query.order_by(col(AuditLog.id))))


def _outbox(ctx: Context, kind: str = "followup") -> list[OutboxMessage]:
    with ctx.session() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_a_low_score_with_consent_raises_a_follow_up_mailed_to_the_team_lead_in_one_pass(
    ctx: Context, runner: Any
) -> None:
    survey_id = _answered(ctx, consent=True, overall=2, comment="Ingen ringde tillbaka")
    _lead(ctx)
    _lead(ctx, team="team-b", email="other-lead@example.se")
    result = runner("jobs", "run-once", "followups")
    assert result.exit_code == 0, result.output
    assert '"raised": 1' in result.output and '"notified": 1' in result.output
    [notice] = _outbox(ctx)
    assert notice.to_address == LEAD and notice.channel == "email"
    assert notice.survey_id == survey_id
    with ctx.session() as session:
        follow_up = session.exec(select(FollowUp)).one()
    assert f"/admin/followups/{follow_up.id}" in notice.body
    # No score, no comment, no contact details in the mail: they are behind the login.
    for private in ("Ingen ringde", PHONE, " 2 ", "overall"):
        assert private not in notice.body and private not in (notice.subject or "")
    assert follow_up.survey_id == survey_id and follow_up.status == "open"
    assert follow_up.reasons == "low_overall comment"
    assert follow_up.notified_to == LEAD
    assert follow_up.due_at > follow_up.created_at + timedelta(days=1)
    assert [e.action for e in _actions(ctx, "followup.")][-2:] == [
        "followup.create",
        "followup.notify",
    ]
    # A second pass raises and sends nothing more.
    assert run_follow_ups(ctx) == {"raised": 0, "notified": 0}
    assert len(_outbox(ctx)) == 1


def test_the_actor_address_serves_a_team_without_its_own(ctx: Context) -> None:
    _answered(ctx, consent=True, resolution="no")
    _lead(ctx, team="", email="actor-lead@example.se")
    assert run_follow_ups(ctx) == {"raised": 1, "notified": 1}
    assert [m.to_address for m in _outbox(ctx)] == ["actor-lead@example.se"]


def test_each_rule_raises_and_an_answer_meeting_none_does_not(ctx: Context) -> None:
    raising = [{"overall": 1}, {"resolution": "no"}, {"fcr": "no"}, {"comment": "Ring mig"}]
    for answers in raising:
        _answered(ctx, consent=True, **{"overall": 4, **answers})
    _lead(ctx, team="")
    _answered(ctx, consent=True, overall=5, resolution="yes", fcr="yes", comment="   ")
    _answered(ctx, consent=True, overall=3, resolution="partly")
    assert run_follow_ups(ctx)["raised"] == len(raising)
    with ctx.session() as session:
        reasons = sorted(session.exec(select(FollowUp.reasons)).all())
    assert reasons == ["comment", "low_overall", "not_first_contact", "not_resolved"]


def test_without_consent_nothing_case_level_leaves_the_reports(
    ctx: Context, client: FlaskClient
) -> None:
    _answered(ctx, consent=False, overall=1, resolution="no", fcr="no", comment="Dålig service")
    _lead(ctx, team="")
    assert run_follow_ups(ctx) == {"raised": 0, "notified": 0}
    assert _outbox(ctx) == []
    log_in_as(ctx, client, "followup")
    for view in ("open", "overdue", "mine", "all"):
        page = client.get("/admin/followups", query_string={"view": view})
        assert page.status_code == 200
        assert "No follow-ups here." in page.get_data(as_text=True)
    assert client.get("/admin/followups/1").status_code == 404


def test_a_late_answer_raises_nothing_after_two_weeks(ctx: Context) -> None:
    survey_id = _answered(ctx, consent=True, overall=1)
    with ctx.session() as session:
        response = session.exec(select(Response).where(Response.survey_id == survey_id)).one()
        response.submitted_at = ctx.now() - timedelta(days=15)
        session.add(response)
        session.commit()
    assert run_follow_ups(ctx)["raised"] == 0


def test_only_followup_users_and_admins_see_the_list(ctx: Context, app: Any) -> None:
    _answered(ctx, consent=True, overall=1)
    run_follow_ups(ctx)
    for role, status in (("followup", 200), ("admin", 200), ("analyst", 403), ("dpo", 403)):
        client = log_in_as(ctx, app.test_client(), role)
        assert client.get("/admin/followups").status_code == status, role
        assert client.get("/admin/followups/1").status_code == status, role
    assert app.test_client().get("/admin/followups").status_code == 302  # to the login


def test_the_page_shows_contact_details_and_every_view_and_change_is_audited(
    ctx: Context, client: FlaskClient
) -> None:
    _answered(ctx, consent=True, overall=2, resolution="no", comment="Ring mig gärna")
    run_follow_ups(ctx)
    log_in_as(ctx, client, "followup")
    with ctx.session() as session:
        follow_up_id = session.exec(select(FollowUp.id)).one()
    path = f"/admin/followups/{follow_up_id}"
    page = client.get(path).get_data(as_text=True)
    assert PHONE in page and "Ring mig gärna" in page
    assert 'Was your case resolved?</th><td class="pre">No</td>' in page
    csrf = csrf_from(page)
    assert client.post(path, data={"action": "take", "csrf_token": csrf}).status_code == 303
    saved = client.post(
        path,
        data={"status": "contacted", "note": "Ringde kunden", "csrf_token": csrf},
    )
    assert saved.status_code == 303
    wrong = client.post(path, data={"status": "done", "note": "", "csrf_token": csrf})
    assert wrong.status_code == 400
    assert "status: must be one of open, contacted, closed" in wrong.get_data(as_text=True)
    with ctx.session() as session:
        follow_up = session.get(FollowUp, follow_up_id)
        assert follow_up is not None
        assert (follow_up.status, follow_up.note) == ("contacted", "Ringde kunden")
        assert follow_up.owner_id is not None
    actions = [e.action for e in _actions(ctx, "followup.")]
    assert actions.count("followup.view") == 2  # the page, and the page with the error
    assert "followup.take" in actions and "followup.update" in actions
    update = [e for e in _actions(ctx, "followup.update")][-1]
    assert update.details == {"status_from": "open", "status_to": "contacted", "note_changed": True}
    assert "Ringde" not in str(update.details)
    mine = client.get("/admin/followups", query_string={"view": "mine"}).get_data(as_text=True)
    assert path in mine


def test_erasure_removes_the_follow_ups_personal_data(ctx: Context, client: FlaskClient) -> None:
    survey_id = _answered(ctx, consent=True, overall=1)
    _lead(ctx)
    run_follow_ups(ctx)
    with ctx.session() as session:
        follow_up = session.exec(select(FollowUp)).one()
        follow_up.note = "Kunden heter Anna"
        session.add(follow_up)
        session.commit()
        erase_customer(
            session,
            CustomerQuery(phone=PHONE),
            identifier_key=ctx.settings.identifier_key,
            now=ctx.now(),
            who="test",
        )
    with ctx.session() as session:
        erased = session.exec(select(FollowUp)).one()
        assert erased.note is None and erased.purged_at is not None
        response = session.exec(select(Response).where(Response.survey_id == survey_id)).one()
        assert response.contact_consent is False
    assert _outbox(ctx) == []  # the notice went with the survey's other messages
    log_in_as(ctx, client, "followup")
    page = client.get(f"/admin/followups/{erased.id}").get_data(as_text=True)
    assert PHONE not in page and "Anna" not in page
    assert "No contact details any more" in page


def test_retention_expires_the_follow_ups_note(ctx: Context) -> None:
    _answered(ctx, consent=True, overall=1)
    run_follow_ups(ctx)
    with ctx.session() as session:
        follow_up = session.exec(select(FollowUp)).one()
        follow_up.note = "Ringde, kunden nöjd"
        session.add(follow_up)
        session.commit()
        result = purge_expired(session, retention_days=1, now=ctx.now() + timedelta(days=3))
        assert result.follow_ups == 1
        follow_up = session.exec(select(FollowUp)).one()
        assert follow_up.note is None and follow_up.purged_at is not None


def test_the_survey_page_asks_for_consent_and_stores_it_beside_the_answers(
    ctx: Context, client: FlaskClient
) -> None:
    stored = {}
    for consent in (True, False):
        with ctx.session() as session:
            survey = make_survey(ctx, session)
        token = token_for(ctx, survey)
        csrf = fetch_csrf(client, f"/s/{token}")
        page = client.get(f"/s/{token}").get_data(as_text=True)
        assert 'name="contact_consent"' in page and "Ni får kontakta mig om mina svar" in page
        form = {
            "overall": "2",
            "csrf_token": csrf,
            **({"contact_consent": "yes"} if consent else {}),
        }
        assert client.post(f"/s/{token}", data=form).status_code == 303
        with ctx.session() as session:
            response = session.exec(select(Response).where(Response.survey_id == survey.id)).one()
        stored[consent] = response
    assert stored[True].contact_consent is True and stored[False].contact_consent is False
    assert "contact_consent" not in stored[True].answers  # not an answer: in no statistic


def test_a_form_sent_back_for_correction_keeps_the_box_ticked(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    token = token_for(ctx, survey)
    csrf = fetch_csrf(client, f"/s/{token}")
    form = {"overall": "", "contact_consent": "yes", "csrf_token": csrf}
    page = client.post(f"/s/{token}", data=form)
    assert page.status_code == 422
    assert 'name="contact_consent" value="yes" checked' in (page.get_data(as_text=True))


def test_a_second_scheduler_skips_the_pass_while_another_runs_it(ctx: Context) -> None:
    _answered(ctx, consent=True, overall=1)
    held = contextlib.ExitStack()
    if ctx.store.name == "postgresql":  # an advisory lock, as another scheduler holds it
        lease = ctx.store.singleton("followups", now=ctx.now(), lease=timedelta(minutes=10))
        assert held.enter_context(lease)
    else:  # the lease row of another process
        with ctx.session() as session:
            expires = ctx.now() + timedelta(minutes=10)
            session.add(JobLock(name="followups", holder="elsewhere:1", expires_at=expires))
            session.commit()
    with held:
        assert "skipped" in run_follow_ups(ctx)
        with ctx.session() as session:
            assert session.exec(select(FollowUp)).all() == []


def test_an_access_request_shows_the_follow_up_and_the_consent(ctx: Context) -> None:
    _answered(ctx, consent=True, overall=2)
    run_follow_ups(ctx)
    with ctx.session() as session:
        follow_up = session.exec(select(FollowUp)).one()
        follow_up.note = "Ringde kunden"
        session.add(follow_up)
        session.commit()
        data = export_customer(
            session, CustomerQuery(phone=PHONE), identifier_key=ctx.settings.identifier_key, who="t"
        )
    [response] = data["responses"]
    assert response["contact_consent"] is True
    [exported] = data["follow_ups"]
    assert (exported["status"], exported["note"]) == ("open", "Ringde kunden")
    assert "owner_id" not in exported and "notified_to" not in exported


def test_the_rules_in_force_are_the_ones_the_settings_name(make_ctx: Any) -> None:
    ctx: Context = make_ctx(followup_rules=["comment"])
    _answered(ctx, consent=True, overall=1, resolution="no", fcr="no")
    _answered(ctx, consent=True, overall=5, comment="Ring mig om fakturan")
    assert run_follow_ups(ctx)["raised"] == 1
    with ctx.session() as session:
        assert session.exec(select(FollowUp.reasons)).all() == ["comment"]


def test_a_followup_user_lands_on_the_list_and_sees_no_other_page(
    ctx: Context, client: FlaskClient
) -> None:
    email = make_user(ctx, "followup")
    landed = log_in(client, email)
    assert landed.status_code == 302 and landed.headers["Location"] == "/admin/followups"
    nav = client.get("/admin/followups").get_data(as_text=True)
    assert 'href="/admin/followups"' in nav and 'href="/admin/reports"' not in nav
    for path in ("/admin/", "/admin/reports", "/admin/reports/comments", "/admin/recipients"):
        assert client.get(path).status_code == 403, path
