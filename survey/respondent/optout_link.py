"""Opting out through a survey's link (the page's form and RFC 8058 one-click), and its undo."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from survey.models import OptOutSource, ResponseStatus, SurveyIdentifier
from survey.optouts import is_opted_out, opted_out_hashes, record_opt_out, standing_opt_outs
from survey.respondent.answers import transition
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


LINK_SOURCES = (OptOutSource.link, OptOutSource.one_click)


def opt_out(
    session: Session, survey: AnySurvey, *, now: datetime, source: OptOutSource = OptOutSource.link
) -> None:
    """Opt the survey's customer out of every future survey, by all of their identifiers."""
    hashes = survey_hashes(session, survey)
    if len(opted_out_hashes(session, hashes)) < len(hashes):
        record_opt_out(session, hashes=hashes, source=source, now=now, survey_id=survey.id)
    transition(
        session, survey, OPEN, response_status=ResponseStatus.opted_out, reminder_due_at=None
    )
    session.commit()


def undo_opt_out(session: Session, survey: AnySurvey, *, now: datetime) -> None:
    """Lift the opt-out made through this survey's link, and only that: an identifier whose
    latest entry is another's (an SMS STOP, the IVR, an agent) stays opted out. Appends
    entries; the latest wins."""
    hashes = survey_hashes(session, survey)
    standing = standing_opt_outs(session, hashes)
    own = {
        digest: kind
        for digest, kind in hashes.items()
        if digest in standing
        and standing[digest].source in LINK_SOURCES
        and standing[digest].survey_id == survey.id
    }
    if own:
        record_opt_out(
            session,
            hashes=own,
            source=OptOutSource.link,
            now=now,
            opted_out=False,
            survey_id=survey.id,
        )
    if standing.keys() - own.keys():
        session.commit()
        return  # another opt-out still stands: the survey stays closed
    restored = ResponseStatus.opened if survey.opened_at else ResponseStatus.pending
    transition(session, survey, (ResponseStatus.opted_out,), response_status=restored)
    session.commit()
