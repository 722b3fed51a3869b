"""Opting out through a survey's link (the page's form and RFC 8058 one-click), and its undo."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from survey.models import OptOut, OptOutSource, ResponseStatus, SurveyIdentifier
from survey.optouts import is_opted_out, opted_out_hashes, record_opt_out
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
    own = {
        digest: kind
        for digest, kind in survey_hashes(session, survey).items()
        if _opted_out_by_this_link(session, digest, survey)
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
    if is_opted_out(session, survey_hashes(session, survey)):
        session.commit()
        return  # another opt-out still stands: the survey stays closed
    restored = ResponseStatus.opened if survey.opened_at else ResponseStatus.pending
    transition(session, survey, (ResponseStatus.opted_out,), response_status=restored)
    session.commit()


def _opted_out_by_this_link(session: Session, digest: str, survey: AnySurvey) -> bool:
    """Whether the identifier's latest entry is an opt-out through this survey's link."""
    latest = session.execute(
        select(col(OptOut.opted_out), col(OptOut.source), col(OptOut.survey_id))
        .where(col(OptOut.identifier_hash) == digest)
        .order_by(col(OptOut.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return False
    opted_out, source, survey_id = latest
    return bool(opted_out) and source in LINK_SOURCES and survey_id == survey.id
