"""The respondent's use cases: open, answer, decline. Each owns its transaction.

State changes are conditional updates (only from pending or opened), and a Response is unique
per survey in the database, so two submissions racing each other leave exactly one answer.
Reads and single-statement writes run in autocommit (no BEGIN or COMMIT round trips); the
store says how an answer, an update and an insert, goes in at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, Update, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from survey.models import Response, ResponseStatus, Survey
from survey.questionnaire import DONT_KNOW, TEXT_COLUMNS, Questionnaire
from survey.respondent.redaction import redact_personal_data
from survey.respondent.states import (
    OPEN,
    OPENED,
    SURVEY,
    VIEW,
    VIEW_FIELDS,
    AnySurvey,
    PageState,
    SurveyClosed,
    SurveyView,
    may_open,
    still_open,
    still_open_params,
)
from survey.store import store_of
from survey.tokens import read_token

RESPONSE: Table = Response.__table__  # type: ignore[attr-defined]
_COLUMNS = frozenset(Response.model_fields) - {
    "id",
    "survey_id",
    "answers",
    "submitted_at",
    "volunteered",
}
_RESPONSE_COLUMNS = sorted(_COLUMNS)


def _transition_statement(count: int) -> Update:
    """The conditional UPDATE from one of `count` states (from_0, from_1, ...); the SET clause
    comes from the parameters named after columns. Plain equalities rather than an expanding IN,
    which is rendered anew at every execution."""
    return update(SURVEY).where(
        SURVEY.c.id == bindparam("survey_id"),
        or_(*(SURVEY.c.response_status == bindparam(f"from_{n}") for n in range(count))),
    )


def _answered_statement(*, unread: bool) -> Update:
    """The conditional update to answered. `unread`: for a survey the request has not read, it
    also checks what the page would have: that it is still open (:now, :sent_after), asks
    :p_questionnaire, and the A1.2 b and c items :p_asked (or, stored as NULL, every item)."""
    conditions = [
        SURVEY.c.id == bindparam("survey_id"),
        or_(*(SURVEY.c.response_status == state for state in OPEN)),
    ]
    if unread:
        conditions += [
            still_open(),
            SURVEY.c.questionnaire == bindparam("p_questionnaire"),
            or_(SURVEY.c.asked_items.is_(None), SURVEY.c.asked_items == bindparam("p_asked")),
        ]
    return (
        update(SURVEY)
        .where(*conditions)
        .values(
            response_status=ResponseStatus.answered,
            responded_at=bindparam("now"),
            reminder_due_at=None,
            opened_at=func.coalesce(SURVEY.c.opened_at, bindparam("now")),
        )
    )


# Statements built once: building and keying a statement costs more than running it.
_TRANSITIONS = {count: _transition_statement(count) for count in (1, 2)}
_ANSWERED = _answered_statement(unread=False)
_ANSWERED_UNREAD = _answered_statement(unread=True)
# The response's columns but its survey's id, each from a parameter (the store adds the id).
_RESPONSE_VALUES: dict[str, Any] = {
    "submitted_at": bindparam("now", type_=RESPONSE.c.submitted_at.type),
    "answers": bindparam("p_answers", type_=RESPONSE.c.answers.type),
    **{name: bindparam(f"p_{name}", type_=RESPONSE.c[name].type) for name in _RESPONSE_COLUMNS},
}


def survey_for_token(session: Session, secret_key: str, token: str) -> SurveyView | None:
    """The survey behind a token, read in the session's transaction (if any)."""
    survey_id = read_token(secret_key, token)
    if survey_id is None:
        return None
    row = session.connection().execute(VIEW, {"survey_id": survey_id}).first()
    return None if row is None else SurveyView(*row)


def read_survey(session: Session, secret_key: str, token: str) -> SurveyView | None:
    """The survey behind a token, read in autocommit (no transaction around a page's read)."""
    store_of(session).autocommit(session)
    return survey_for_token(session, secret_key, token)


def survey_for_page(
    session: Session, secret_key: str, token: str, *, now: datetime, expiry_days: int
) -> SurveyView | None:
    """The survey behind a token for its page, with the first opening of an open survey
    recorded (as the store does it: one statement, or a read and at most one write)."""
    survey_id = read_token(secret_key, token)
    if survey_id is None:
        return None
    store = store_of(session)
    store.autocommit(session)
    params = {"survey_id": survey_id, **still_open_params(now, expiry_days)}
    row = store.view_and_open(session, OPENED, VIEW, params, may_open)
    return None if row is None else SurveyView(*row)


def open_survey(session: Session, survey: AnySurvey, *, now: datetime) -> None:
    """Record the first opening of the page (pending -> opened)."""
    if survey.response_status != ResponseStatus.pending:
        return
    transition(
        session,
        survey,
        (ResponseStatus.pending,),
        response_status=ResponseStatus.opened,
        opened_at=now,
    )
    session.commit()


def submit_answers(
    session: Session,
    survey: AnySurvey,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    *,
    now: datetime,
    contact_consent: bool = False,
) -> None:
    """Store the one answer of a survey; raise SurveyClosed when it is answered or closed."""
    assert survey.id is not None
    params = _answer_params(survey.id, questionnaire, answers, now, contact_consent)
    if not _store_answer(session, _ANSWERED, params):
        state = _current_state(session, survey)
        session.rollback()
        raise SurveyClosed(state)
    _keep_in_step(
        survey,
        {
            "response_status": ResponseStatus.answered,
            "responded_at": now,
            "reminder_due_at": None,
            "opened_at": survey.opened_at or now,
        },
    )


def answer_unread(
    session: Session,
    secret_key: str,
    token: str,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    *,
    now: datetime,
    expiry_days: int,
    contact_consent: bool = False,
) -> bool:
    """Answer the survey behind `token` without reading it first (on PostgreSQL one statement).

    True when the answer is stored. False when nothing changed: an unknown token, a survey
    no longer open or that asks another questionnaire, an answer already there. The caller
    then reads the survey and says why (or answers it the ordinary way).
    """
    survey_id = read_token(secret_key, token)
    if survey_id is None:
        return False
    params = {
        **_answer_params(survey_id, questionnaire, answers, now, contact_consent),
        **still_open_params(now, expiry_days),
    }
    try:
        stored = _store_answer(session, _ANSWERED_UNREAD, params)
    except SurveyClosed:
        return False
    if not stored:
        session.rollback()
    return stored


def _store_answer(session: Session, answered: Update, params: dict[str, Any]) -> bool:
    """The update and the response, committed; False when the update found the survey closed;
    SurveyClosed(answered) when another answer got there first (the unique response)."""
    store = store_of(session)
    try:
        stored = store.answer(session, answered, RESPONSE, _RESPONSE_VALUES, params)
    except IntegrityError:
        session.rollback()
        raise SurveyClosed(PageState.answered) from None
    if stored:
        session.commit()
    return stored


def _answer_params(
    survey_id: int | None,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    now: datetime,
    contact_consent: bool = False,
) -> dict[str, Any]:
    answers = _without_personal_data(questionnaire, answers)
    typed = _typed(answers)
    params = {f"p_{name}": typed.get(name) for name in _RESPONSE_COLUMNS}
    params.update(
        {
            # Beside the answers, never one of them: no statistic reads it.
            "p_contact_consent": contact_consent,
            "survey_id": survey_id,
            "now": now,
            "p_questionnaire": questionnaire.id,
            "p_questionnaire_version": questionnaire.version,
            "p_asked": questionnaire.asked_items,
            # Free text lives in its own column only, so that an erasure has one place to clear.
            "p_answers": {k: v for k, v in answers.items() if k not in TEXT_COLUMNS},
        }
    )
    return params


def _without_personal_data(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with phone numbers, e-mail addresses and personal identity numbers taken out
    of the free text, before anything is stored."""
    free_text = {q.id for q in questionnaire.questions if q.kind == "text"}
    return {
        qid: redact_personal_data(value) if qid in free_text and isinstance(value, str) else value
        for qid, value in answers.items()
    }


def _typed(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers that have their own Response column, "don't know" as NULL."""
    return {
        qid: (None if value == DONT_KNOW else value)
        for qid, value in answers.items()
        if qid in _COLUMNS and qid != "contact_consent"
    }


def decline(session: Session, survey: AnySurvey, *, now: datetime) -> None:
    """The customer declines: no response, no reminder."""
    changed = transition(
        session,
        survey,
        OPEN,
        response_status=ResponseStatus.declined,
        responded_at=now,
        reminder_due_at=None,
    )
    state = None if changed else _current_state(session, survey)
    session.commit()
    if state is not None:
        raise SurveyClosed(state)


def _current_state(session: Session, survey: AnySurvey) -> PageState:
    status = str(
        session.scalar(select(col(Survey.response_status)).where(col(Survey.id) == survey.id))
    )
    return PageState(status) if status in PageState.__members__ else PageState.expired


def transition(
    session: Session, survey: AnySurvey, from_states: tuple[str, ...], **values: Any
) -> bool:
    """Change the survey only if it is still in one of `from_states`; True when it changed."""
    # Through the session's connection: a Core statement needs none of Session.execute's ORM steps.
    states = {f"from_{n}": state for n, state in enumerate(from_states)}
    result = session.connection().execute(
        _TRANSITIONS[len(from_states)], {"survey_id": survey.id, **states, **values}
    )
    changed = result.rowcount == 1
    if changed:
        _keep_in_step(survey, values)
    return changed


def _keep_in_step(survey: AnySurvey, values: dict[str, Any]) -> None:
    """The loaded object as the database now has it (an ORM one without marking it dirty)."""
    for name, value in values.items():
        if isinstance(survey, Survey):
            set_committed_value(survey, name, value)
        elif name in VIEW_FIELDS:
            setattr(survey, name, value)
