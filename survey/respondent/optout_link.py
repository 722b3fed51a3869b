"""Opting out through a survey's link (the page's form and RFC 8058 one-click), and its undo."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from survey.models import ResponseStatus, SurveyIdentifier
from survey.respondent.answers import transition
from survey.respondent.optouts import is_opted_out, opted_out_hashes, record_opt_out
from survey.respondent.states import OPEN, AnySurvey


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
    transition(
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
    transition(session, survey, (ResponseStatus.opted_out,), response_status=restored)
    session.commit()
