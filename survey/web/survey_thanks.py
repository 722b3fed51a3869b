"""The thank-you page (/s/<token>/thanks) and, for a survey that asked a subset of the items,
its offer of the remaining questions (POST /s/<token>/more): optional, once, kept apart from
the matrix statistics (survey/respondent/volunteered.py)."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue

from survey.questionnaire import Questionnaire, parse_answers
from survey.respondent import volunteered
from survey.respondent.states import PageState, SurveyView
from survey.web.app import db_session
from survey.web.survey import _lang_args, _load, _render, _state, bp


def _remaining(survey: SurveyView) -> Questionnaire | None:
    questionnaires: dict[str, Questionnaire] = current_app.extensions["questionnaires"]
    return volunteered.remaining(questionnaires[survey.questionnaire], survey.asked_items)


def _page(survey: SurveyView, token: str, status: int = 200, **form: Any) -> ResponseReturnValue:
    more = _remaining(survey)
    offered = more is not None and volunteered.may_volunteer(db_session(), survey.id)
    return _render(
        "survey/thanks.html",
        token,
        status,
        more=more if offered else None,
        volunteered=more is not None and not offered,
        errors=form.get("errors", {}),
        entered=form.get("entered", {}),
    )


def _not_answered(token: str) -> ResponseReturnValue:
    return redirect(url_for("survey.survey_page", token=token, **_lang_args()), 303)


@bp.get("/s/<token>/thanks")
def thanks(token: str) -> ResponseReturnValue:
    survey = _load(token)
    if _state(survey) is not PageState.answered:
        return _not_answered(token)
    return _page(survey, token)


@bp.post("/s/<token>/more")
def volunteer_answers(token: str) -> ResponseReturnValue:
    """The remaining questions' answers, stored once; the thank-you page says so."""
    survey = _load(token)
    if _state(survey) is not PageState.answered:
        return _not_answered(token)
    more = _remaining(survey)
    if more is not None:
        parsed = parse_answers(more, request.form)
        if parsed.errors:
            return _page(survey, token, 422, errors=parsed.errors, entered=parsed.entered)
        volunteered.volunteer(db_session(), survey.id, parsed.answers)
    return redirect(url_for("survey.thanks", token=token, **_lang_args()), 303)
