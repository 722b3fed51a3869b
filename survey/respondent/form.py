"""The survey form posted back: answer, decline, or say why neither can be done. One use case
for the page's POST, which owns its transactions (see answers.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from survey.questionnaire import Questionnaire, parse_answers, parse_asked
from survey.respondent.answers import answer_unread, decline, read_survey, submit_answers
from survey.respondent.states import PageState, SurveyClosed, SurveyView, page_state

# The optional consent box beside the questions (not one of them: it is never scored).
CONSENT_FIELD = "contact_consent"


class Outcome(StrEnum):
    answered = "answered"
    declined = "declined"
    closed = "closed"  # the survey can no longer be answered: `state` says why
    invalid = "invalid"  # the answers need correcting: `errors`
    unknown = "unknown"  # no survey behind the link


@dataclass
class FormResult:
    outcome: Outcome
    survey: SurveyView | None = None
    state: PageState | None = None
    questionnaire: Questionnaire | None = None
    errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)


def submit_form(
    session: Session,
    *,
    secret_key: str,
    token: str,
    form: Mapping[str, str],
    questionnaires: Mapping[str, Questionnaire],
    now: datetime,
    expiry_days: int,
) -> FormResult:
    """Take the form: a valid answer first without reading the survey (the common case, one
    write), else read it and answer, decline, or say why not."""
    declining = form.get("action") == "decline"
    named = questionnaires.get(form.get("questionnaire", ""))
    consent = form.get(CONSENT_FIELD) == "yes"
    if not declining and named is not None:
        # The items the page says it asked: the update below holds them to the survey's own.
        named = named.asking(parse_asked(form.get("asked")))
        parsed = parse_answers(named, form)
        if not parsed.errors and answer_unread(
            session,
            secret_key,
            token,
            named,
            parsed.answers,
            now=now,
            expiry_days=expiry_days,
            contact_consent=consent,
        ):
            return FormResult(Outcome.answered)
    survey = read_survey(session, secret_key, token)
    if survey is None:
        return FormResult(Outcome.unknown)
    state = page_state(survey, now=now, expiry_days=expiry_days)
    if state is not PageState.open:
        return FormResult(Outcome.closed, survey, state)
    try:
        if declining:
            decline(session, survey, now=now)
            return FormResult(Outcome.declined, survey)
        asked = questionnaires[survey.questionnaire].asking(parse_asked(survey.asked_items))
        return _answer(session, survey, asked, form, now)
    except SurveyClosed as exc:
        return FormResult(Outcome.closed, survey, exc.state)


def _answer(
    session: Session,
    survey: SurveyView,
    questionnaire: Questionnaire,
    form: Mapping[str, str],
    now: datetime,
) -> FormResult:
    parsed = parse_answers(questionnaire, form)
    consent = form.get(CONSENT_FIELD) == "yes"
    if parsed.errors:
        return FormResult(
            Outcome.invalid,
            survey,
            questionnaire=questionnaire,
            errors=parsed.errors,
            entered={**parsed.entered, **({CONSENT_FIELD: "yes"} if consent else {})},
        )
    submit_answers(session, survey, questionnaire, parsed.answers, now=now, contact_consent=consent)
    return FormResult(Outcome.answered, survey)
