"""The respondent's pages: the survey (/s/<token>), thank-you, and opt-out (/o/<token>)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import NotFound, TooManyRequests

from survey.contact_phrase import contact_phrase
from survey.models import OptOutSource
from survey.questionnaire import (
    PACKAGE_DIR,
    SCALE_POINTS,
    Questionnaire,
    load_questionnaires,
    parse_answers,
    parse_asked,
)
from survey.respondent import answers, form, one_tap, optout_link
from survey.respondent.form import Outcome
from survey.respondent.states import PageState, SurveyView, page_state
from survey.tokens import form_token
from survey.web.app import context, db_session
from survey.web.i18n import requested_language
from survey.web.ratelimit import UNKNOWN_RETRY_AFTER

bp = Blueprint("survey", __name__)

# The status each closed state is shown with: the survey exists but cannot take an answer.
STATE_STATUS = {
    PageState.answered: 200,
    PageState.declined: 200,
    PageState.opted_out: 200,
    PageState.expired: 410,
}
# Stand-ins for a survey's token and the CSRF token in the cached blank form (see _blank_form).
LINK_SLOT = "0link0slot0"
CSRF_SLOT = "0csrf0slot0"
CONTACT_SLOT = "0contact0slot0"
# The scores a one-tap link of the e-mail may choose (/s/<token>?overall=N).
ONE_TAP_SCORES = frozenset(str(n) for n in range(1, SCALE_POINTS + 1))
# Posted by mail providers without a form (RFC 8058 one-click): no form token to check.
NO_FORM_TOKEN = ("survey.one_click_opt_out",)


def init_app(app: Flask) -> None:
    """Load and check every questionnaire at start: a missing A1.2 part refuses to start."""
    settings = app.extensions["survey"].settings
    app.extensions["survey_blank_forms"] = {}
    app.extensions["questionnaires"] = load_questionnaires(
        [PACKAGE_DIR, settings.instance_path / "questionnaires"]
    )


@bp.before_request
def check_form_token() -> None:
    """CSRF for the respondent's forms: the posted csrf_token must be the link's form token.

    Flask-WTF's token lives in the session cookie; this one is a MAC of the link (see
    tokens.form_token), so a customer with cookies turned off can answer, and the pages set
    no cookie at all. A wrong or missing token raises CSRFError, shown by csrf_failed below.
    """
    if request.method != "POST" or request.endpoint in NO_FORM_TOKEN:
        return
    token = (request.view_args or {}).get("token", "")
    posted = request.form.get("csrf_token", "")
    if not hmac.compare_digest(posted.encode(), _form_token(token).encode()):
        raise CSRFError("The form token is missing or does not match the link.")


def _form_token(token: str) -> str:
    return form_token(context().settings.secret_key, token)


def _questionnaire(survey: SurveyView) -> Questionnaire:
    questionnaires: dict[str, Questionnaire] = current_app.extensions["questionnaires"]
    return questionnaires[survey.questionnaire].asking(parse_asked(survey.asked_items))


def _lang_args() -> dict[str, Any]:
    lang = requested_language()
    return {"lang": lang} if lang else {}


def _load(token: str) -> SurveyView:
    """The survey behind the token, read in autocommit (a 404 page when there is none)."""
    return _found(answers.read_survey(db_session(), context().settings.secret_key, token))


def _found(survey: SurveyView | None) -> SurveyView:
    if survey is None:
        abort(404)
    g.survey_language = survey.language
    return survey


def _state(survey: SurveyView) -> PageState:
    ctx = context()
    return page_state(survey, now=ctx.now(), expiry_days=ctx.started_policy().expiry_days)


def _render(template: str, token: str, status: int = 200, **values: Any) -> tuple[str, int]:
    settings = context().settings
    page_endpoint = "survey.opt_out_page" if template.endswith("opt_out.html") else None
    if template == "survey/thanks.html":
        page_endpoint = "survey.thanks"
    switch_url = url_for(page_endpoint or "survey.survey_page", token=token) if token else ""
    values.setdefault("csrf_token", lambda: _form_token(token))
    page = render_template(
        template,
        token=token,
        lang_args=_lang_args(),
        switch_url=switch_url,
        organisation=settings.organisation_name,
        privacy_url=settings.privacy_url or url_for("privacy.notice"),
        min_group_size=settings.min_group_size,
        agent_reporting=settings.agent_reporting,
        **values,
    )
    return page, status


def _closed(state: PageState, token: str, status: int | None = None) -> ResponseReturnValue:
    return _render(f"survey/{state}.html", token, status or STATE_STATUS[state])


@bp.get("/s/<token>")
def survey_page(token: str) -> ResponseReturnValue:
    """The survey; through a one-tap link (?overall=N) with that score chosen, nothing saved."""
    ctx = context()
    settings = ctx.settings
    tapped = request.args.get("overall", "")
    if tapped in ONE_TAP_SCORES:
        found = one_tap.survey_for_tap(
            db_session(),
            settings.secret_key,
            token,
            int(tapped),
            now=ctx.now(),
            expiry_days=ctx.started_policy().expiry_days,
        )
    else:
        found = answers.survey_for_page(
            db_session(),
            settings.secret_key,
            token,
            now=ctx.now(),
            expiry_days=ctx.started_policy().expiry_days,
        )
    survey = _found(found)
    state = _state(survey)
    if state is not PageState.open:
        return _closed(state, token)
    if tapped in ONE_TAP_SCORES:
        return _form(survey, token, entered={"overall": tapped}, one_tap=True)
    return _form(survey, token)


def _contact(survey: SurveyView) -> str:
    """The contact the survey is about, in the page's language."""
    return contact_phrase(survey.channel, survey.closed_local_date, str(get_locale()))


def _form(
    survey: SurveyView,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    entered: dict[str, str] | None = None,
    status: int = 200,
    one_tap: bool = False,
) -> ResponseReturnValue:
    questionnaire = _questionnaire(survey)
    if not errors and not entered:
        page = _blank_form(questionnaire, token)
        return page.replace(CONTACT_SLOT, str(escape(_contact(survey)))), status
    return _render(
        "survey/form.html",
        token,
        status,
        questionnaire=questionnaire,
        errors=errors or {},
        entered=entered or {},
        contact=_contact(survey),
        one_tap=one_tap,
    )


def _blank_form(questionnaire: Questionnaire, token: str) -> str:
    """A blank form is one page for every survey but for its link, CSRF token and contact: it is
    rendered once per questionnaire version, asked items, language and ?lang=, and the link and
    token are filled in here, the contact by the caller (rendering was the largest part of a
    view's time)."""
    key = (
        questionnaire.id,
        questionnaire.version,
        questionnaire.asked_items,
        str(get_locale()),
        requested_language(),
    )
    cache: dict[tuple[str, int, str, str, str | None], str] = current_app.extensions[
        "survey_blank_forms"
    ]
    page = cache.get(key)
    if page is None:
        page, _ = _render(
            "survey/form.html",
            LINK_SLOT,
            questionnaire=questionnaire,
            errors={},
            entered={},
            csrf_token=lambda: CSRF_SLOT,
            contact=CONTACT_SLOT,
        )
        cache[key] = page
    # Both values go in as they are: a token and its form token are URL-safe base64 (read_token
    # checked the token), so neither needs escaping in a URL or attribute.
    return page.replace(LINK_SLOT, token).replace(CSRF_SLOT, _form_token(token))


@bp.post("/s/<token>")
def submit(token: str) -> ResponseReturnValue:
    ctx = context()
    result = form.submit_form(
        db_session(),
        secret_key=ctx.settings.secret_key,
        token=token,
        form=request.form,
        questionnaires=current_app.extensions["questionnaires"],
        now=ctx.now(),
        expiry_days=ctx.started_policy().expiry_days,
    )
    if result.outcome is Outcome.unknown:
        abort(404)
    if result.survey is not None:
        g.survey_language = result.survey.language
    if result.outcome is Outcome.answered:
        return redirect(url_for("survey.thanks", token=token, **_lang_args()), 303)
    if result.outcome is Outcome.declined:
        return redirect(url_for("survey.survey_page", token=token, **_lang_args()), 303)
    if result.outcome is Outcome.invalid:
        assert result.survey is not None
        return _form(result.survey, token, errors=result.errors, entered=result.entered, status=422)
    assert result.state is not None
    return _closed(result.state, token, 409)


@bp.get("/o/<token>")
def opt_out_page(token: str) -> ResponseReturnValue:
    survey = _load(token)
    opted_out = optout_link.is_survey_opted_out(db_session(), survey)
    return _render("survey/opt_out.html", token, opted_out=opted_out, done=False)


@bp.post("/o/<token>")
def one_click_opt_out(token: str) -> ResponseReturnValue:
    """The page's form, or RFC 8058 one-click (mail providers post List-Unsubscribe=One-Click
    without a form token): either opts out; the source says which."""
    survey = _found(answers.survey_for_token(db_session(), context().settings.secret_key, token))
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    source = OptOutSource.one_click if one_click else OptOutSource.link
    optout_link.opt_out(db_session(), survey, now=context().now(), source=source)
    return _render("survey/opt_out.html", token, opted_out=True, done=True)


@bp.post("/o/<token>/undo")
def undo_opt_out(token: str) -> ResponseReturnValue:
    survey = _found(answers.survey_for_token(db_session(), context().settings.secret_key, token))
    optout_link.undo_opt_out(db_session(), survey, now=context().now())
    return _render("survey/opt_out.html", token, opted_out=False, done=True)


@bp.errorhandler(404)
def not_found(_exc: Exception) -> ResponseReturnValue:
    return _render("survey/not_found.html", "", 404)


@bp.errorhandler(429)
def too_many(exc: TooManyRequests) -> ResponseReturnValue:
    page, status = _render("survey/too_many.html", "", 429)
    return page, status, {"Retry-After": str(exc.retry_after or UNKNOWN_RETRY_AFTER)}


@bp.errorhandler(CSRFError)
def csrf_failed(_exc: CSRFError) -> ResponseReturnValue:
    """The form's token did not match (a tampered or cut-off form): show it again, kept."""
    token = (request.view_args or {}).get("token", "")
    # Not _load: an abort inside an error handler would escape it as a server error.
    found = answers.read_survey(db_session(), context().settings.secret_key, token)
    if found is None:
        return not_found(NotFound())
    survey = _found(found)
    if request.endpoint != "survey.submit":
        opted_out = optout_link.is_survey_opted_out(db_session(), survey)
        return _render(
            "survey/opt_out.html", token, 400, opted_out=opted_out, done=False, csrf_failed=True
        )
    state = _state(survey)
    if state is not PageState.open:
        return _closed(state, token, 400)
    parsed = parse_answers(_questionnaire(survey), request.form)
    return _form(survey, token, errors={"_form": "csrf"}, entered=parsed.entered, status=400)
