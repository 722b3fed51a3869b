"""The respondent's use cases: open, answer, decline, opt out and undo. Each owns its transaction.

State changes are conditional updates (only from pending or opened), and a Response is unique per
survey in the database, so two submissions racing each other leave exactly one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from survey.errors import Conflict
from survey.models import (
    OPEN_RESPONSE_STATES,
    DeliveryStatus,
    Response,
    ResponseStatus,
    Survey,
    SurveyIdentifier,
)
from survey.questionnaire import DONT_KNOW, TEXT_COLUMNS, Questionnaire
from survey.respondent.optouts import is_opted_out, opted_out_hashes, record_opt_out
from survey.store.bulk import dialect_of
from survey.tokens import read_token

OPEN = OPEN_RESPONSE_STATES
_COLUMNS = frozenset(Response.model_fields) - {"id", "survey_id", "answers", "submitted_at"}
# Writes go to the tables through Core, as statements built once: a page's one UPDATE or INSERT
# needs no unit of work, and building and keying a statement costs more than running it.
_SURVEY: Table = Survey.__table__  # type: ignore[attr-defined]
_INSERT_RESPONSE = insert(Response.__table__)  # type: ignore[attr-defined]


def _transition_statement(count: int) -> Update:
    """The conditional UPDATE from one of `count` states (from_0, from_1, ...); the SET clause
    comes from the parameters named after columns. Plain equalities rather than an expanding IN,
    which is rendered anew at every execution."""
    return update(_SURVEY).where(
        _SURVEY.c.id == bindparam("survey_id"),
        or_(*(_SURVEY.c.response_status == bindparam(f"from_{n}") for n in range(count))),
    )


_TRANSITIONS = {count: _transition_statement(count) for count in (1, 2)}


@dataclass(slots=True)
class SurveyView:
    """What the respondent's pages read of a survey, loaded without the ORM (see survey_for_token).

    The use cases below take it or a Survey alike.
    """

    id: int
    questionnaire: str
    language: str
    delivery_status: str
    response_status: str
    sent_at: datetime | None
    opened_at: datetime | None
    expires_at: datetime | None


AnySurvey = Survey | SurveyView
_VIEW_FIELDS = frozenset(f.name for f in fields(SurveyView))
# A page view's one read: only the columns above, a statement built once (its compiled form is
# cached by SQLAlchemy), with no identity map or instance to build.
_VIEW_COLUMNS = [_SURVEY.c[f.name] for f in fields(SurveyView)]
_SELECT_VIEW = select(*_VIEW_COLUMNS).where(_SURVEY.c.id == bindparam("survey_id"))


def _still_open() -> Any:
    """page_state's `open` in SQL: not cancelled and not past its expiry (:now, :sent_after)."""
    return and_(
        _SURVEY.c.delivery_status != DeliveryStatus.cancelled,
        or_(
            _SURVEY.c.expires_at > bindparam("now"),
            and_(
                _SURVEY.c.expires_at.is_(None),
                or_(_SURVEY.c.sent_at.is_(None), _SURVEY.c.sent_at > bindparam("sent_after")),
            ),
        ),
    )


def _view_and_open_statement() -> Select[Any]:
    """PostgreSQL: the survey for its page, opened (pending -> opened) if still open, in one
    statement; the row as it is after the update."""
    opened = (
        update(_SURVEY)
        .where(
            _SURVEY.c.id == bindparam("survey_id"),
            _SURVEY.c.response_status == ResponseStatus.pending,
            _still_open(),
        )
        .values(response_status=ResponseStatus.opened, opened_at=bindparam("now"))
        .returning(*_VIEW_COLUMNS)
        .cte("opened")
    )
    unchanged = select(*_VIEW_COLUMNS).where(
        _SURVEY.c.id == bindparam("survey_id"), ~exists(select(opened.c.id))
    )
    return select(union_all(select(*opened.c), unchanged).subquery())


_RESPONSE: Table = Response.__table__  # type: ignore[attr-defined]
_RESPONSE_COLUMNS = sorted(_COLUMNS)


def _answer_statement(*, unread: bool = False) -> Insert:
    """PostgreSQL: the conditional update to answered and the Response in one statement (so in
    autocommit one round trip, and atomic); it returns no row when the survey was not open.

    `unread`: for a survey the request has not read, the statement also checks what the page
    would have: that it is still open (:now, :sent_after) and asks :p_questionnaire.
    """
    conditions = [
        _SURVEY.c.id == bindparam("survey_id"),
        or_(*(_SURVEY.c.response_status == state for state in OPEN)),
    ]
    if unread:
        conditions += [_still_open(), _SURVEY.c.questionnaire == bindparam("p_questionnaire")]
    answered = (
        update(_SURVEY)
        .where(*conditions)
        .values(
            response_status=ResponseStatus.answered,
            responded_at=bindparam("now"),
            reminder_due_at=None,
            opened_at=func.coalesce(_SURVEY.c.opened_at, bindparam("now")),
        )
        .returning(_SURVEY.c.id)
        .cte("answered")
    )
    names = ["survey_id", "submitted_at", "answers", *_RESPONSE_COLUMNS]
    values = [
        answered.c.id,
        bindparam("now", type_=_RESPONSE.c.submitted_at.type),
        bindparam("p_answers", type_=_RESPONSE.c.answers.type),
        *(bindparam(f"p_{name}", type_=_RESPONSE.c[name].type) for name in _RESPONSE_COLUMNS),
    ]
    return (
        insert(_RESPONSE)
        .from_select(names, select(*values).select_from(answered))
        .returning(_RESPONSE.c.id)
    )


_VIEW_AND_OPEN = _view_and_open_statement()
_ANSWER = _answer_statement()
_ANSWER_UNREAD = _answer_statement(unread=True)


class PageState(StrEnum):
    """What the survey page shows."""

    open = "open"
    answered = "answered"
    declined = "declined"
    expired = "expired"
    opted_out = "opted_out"


class SurveyClosed(Conflict):
    """The survey can no longer be answered or declined; `state` says why."""

    def __init__(self, state: PageState) -> None:
        super().__init__(f"the survey is {state}")
        self.state = state


def survey_for_token(session: Session, secret_key: str, token: str) -> SurveyView | None:
    survey_id = read_token(secret_key, token)
    if survey_id is None:
        return None
    row = session.connection().execute(_SELECT_VIEW, {"survey_id": survey_id}).first()
    return None if row is None else SurveyView(*row)


def survey_for_page(
    session: Session, secret_key: str, token: str, *, now: datetime, expiry_days: int
) -> SurveyView | None:
    """The survey behind a token for its page, with the first opening of an open survey recorded.

    On PostgreSQL one statement does both; elsewhere a read, then on the first view the
    conditional update.
    """
    if dialect_of(session) != "postgresql":
        survey = survey_for_token(session, secret_key, token)
        if survey is None:
            return None
        if page_state(survey, now=now, expiry_days=expiry_days) is PageState.open:
            open_survey(session, survey, now=now)
        return survey
    survey_id = read_token(secret_key, token)
    if survey_id is None:
        return None
    row = (
        session.connection()
        .execute(
            _VIEW_AND_OPEN,
            {"survey_id": survey_id, **_still_open_params(now, expiry_days)},
        )
        .first()
    )
    return None if row is None else SurveyView(*row)


def _still_open_params(now: datetime, expiry_days: int) -> dict[str, datetime]:
    """The parameters of _still_open."""
    return {"now": now, "sent_after": now - timedelta(days=expiry_days)}


def page_state(survey: AnySurvey, *, now: datetime, expiry_days: int) -> PageState:
    status = survey.response_status
    if status in (ResponseStatus.answered, ResponseStatus.declined, ResponseStatus.opted_out):
        return PageState(status)
    if status == ResponseStatus.expired or survey.delivery_status == DeliveryStatus.cancelled:
        return PageState.expired
    expires_at = survey.expires_at
    if expires_at is None and survey.sent_at is not None:
        expires_at = survey.sent_at + timedelta(days=expiry_days)
    if expires_at is not None and now >= expires_at:
        return PageState.expired
    return PageState.open


def open_survey(session: Session, survey: AnySurvey, *, now: datetime) -> None:
    """Record the first opening of the page (pending -> opened)."""
    if survey.response_status != ResponseStatus.pending:
        return
    _transition(
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
) -> None:
    """Store the one answer of a survey; raise SurveyClosed when it is answered or closed."""
    assert survey.id is not None
    if dialect_of(session) == "postgresql":
        _submit_in_one_statement(session, survey, questionnaire, answers, now=now)
        return
    try:
        # The conditional update first: a survey answered meanwhile stops here, before the insert.
        changed = _transition(
            session,
            survey,
            OPEN,
            response_status=ResponseStatus.answered,
            responded_at=now,
            reminder_due_at=None,
            opened_at=survey.opened_at or now,
        )
        if not changed:
            state = _current_state(session, survey)
            session.rollback()
            raise SurveyClosed(state)
        session.connection().execute(
            _INSERT_RESPONSE,
            {
                "survey_id": survey.id,
                "questionnaire": questionnaire.id,
                "questionnaire_version": questionnaire.version,
                "submitted_at": now,
                # Free text lives in its own column only, so that an erasure has one place to clear.
                "answers": {k: v for k, v in answers.items() if k not in TEXT_COLUMNS},
                **_typed(answers),
            },
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SurveyClosed(PageState.answered) from None


def _typed(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers that have their own Response column, "don't know" as NULL."""
    return {
        qid: (None if value == DONT_KNOW else value)
        for qid, value in answers.items()
        if qid in _COLUMNS
    }


def _submit_in_one_statement(
    session: Session,
    survey: AnySurvey,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    *,
    now: datetime,
) -> None:
    params = _answer_params(survey.id, questionnaire, answers, now)
    try:
        inserted = session.connection().execute(_ANSWER, params).first()
    except IntegrityError:
        session.rollback()
        raise SurveyClosed(PageState.answered) from None
    if inserted is None:
        state = _current_state(session, survey)
        session.rollback()
        raise SurveyClosed(state)
    session.commit()
    _keep_in_step(
        survey,
        {
            "response_status": ResponseStatus.answered,
            "responded_at": now,
            "reminder_due_at": None,
            "opened_at": survey.opened_at or now,
        },
    )


def _answer_params(
    survey_id: int | None,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    typed = _typed(answers)
    params = {f"p_{name}": typed.get(name) for name in _RESPONSE_COLUMNS}
    params.update(
        {
            "survey_id": survey_id,
            "now": now,
            "p_questionnaire": questionnaire.id,
            "p_questionnaire_version": questionnaire.version,
            # Free text lives in its own column only, so that an erasure has one place to clear.
            "p_answers": {k: v for k, v in answers.items() if k not in TEXT_COLUMNS},
        }
    )
    return params


def answer_unread(
    session: Session,
    secret_key: str,
    token: str,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    *,
    now: datetime,
    expiry_days: int,
) -> bool:
    """PostgreSQL: answer the survey behind `token` without reading it first, in one statement.

    True when the answer is stored. False when nothing changed: an unknown token, a survey
    no longer open or that asks another questionnaire, an answer already there. The caller
    then reads the survey and says why (or answers it the ordinary way).
    """
    survey_id = read_token(secret_key, token)
    if survey_id is None:
        return False
    params = {
        **_answer_params(survey_id, questionnaire, answers, now),
        **_still_open_params(now, expiry_days),
    }
    try:
        inserted = session.connection().execute(_ANSWER_UNREAD, params).first()
    except IntegrityError:
        session.rollback()
        return False
    if inserted is None:
        session.rollback()
        return False
    session.commit()
    return True


def decline(session: Session, survey: AnySurvey, *, now: datetime) -> None:
    """The customer declines: no response, no reminder."""
    changed = _transition(
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


def survey_hashes(session: Session, survey: AnySurvey) -> dict[str, str]:
    rows = session.execute(
        select(col(SurveyIdentifier.identifier_hash), col(SurveyIdentifier.kind)).where(
            col(SurveyIdentifier.survey_id) == survey.id
        )
    )
    return {digest: kind for digest, kind in rows}


def is_survey_opted_out(session: Session, survey: AnySurvey) -> bool:
    return is_opted_out(session, survey_hashes(session, survey))


def opt_out(session: Session, survey: AnySurvey, *, now: datetime) -> None:
    """Opt the survey's customer out of every future survey, by all of their identifiers."""
    hashes = survey_hashes(session, survey)
    if len(opted_out_hashes(session, hashes)) < len(hashes):
        record_opt_out(session, hashes=hashes, source="link", now=now, survey_id=survey.id)
    _transition(
        session, survey, OPEN, response_status=ResponseStatus.opted_out, reminder_due_at=None
    )
    session.commit()


def undo_opt_out(session: Session, survey: AnySurvey, *, now: datetime) -> None:
    """Lift the opt-out made through this survey's link (appends entries; the latest wins)."""
    hashes = survey_hashes(session, survey)
    record_opt_out(
        session, hashes=hashes, source="link", now=now, opted_out=False, survey_id=survey.id
    )
    restored = ResponseStatus.opened if survey.opened_at else ResponseStatus.pending
    _transition(session, survey, (ResponseStatus.opted_out,), response_status=restored)
    session.commit()


def _current_state(session: Session, survey: AnySurvey) -> PageState:
    status = str(
        session.scalar(select(col(Survey.response_status)).where(col(Survey.id) == survey.id))
    )
    return PageState(status) if status in PageState.__members__ else PageState.expired


def _transition(
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
        elif name in _VIEW_FIELDS:
            setattr(survey, name, value)
