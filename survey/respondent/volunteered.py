"""The remaining questions, offered on the thank-you page of a survey that asked a subset of
the A1.2 b and c items (matrix sampling, survey/matrix.py).

Answering them is optional and happens once. They are stored on the response apart from the
answers to the asked items (Response.volunteered), and the reports leave them out: the people
who choose to go on are not a random part of the respondents, and the per-item figures hold
only under the design that chose each survey's items by chance.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from survey.models import Response
from survey.questionnaire import ROTATING_PARTS, Questionnaire, parse_asked


def remaining(questionnaire: Questionnaire, asked_items: str | None) -> Questionnaire | None:
    """The questionnaire's A1.2 b and c items a survey did not ask; None when it asked all."""
    asked = parse_asked(asked_items)
    if asked is None:
        return None
    questions = tuple(
        q for q in questionnaire.questions if q.part in ROTATING_PARTS and q.id not in asked
    )
    return replace(questionnaire, questions=questions) if questions else None


def may_volunteer(session: Session, survey_id: int) -> bool:
    """The survey has an answer and no volunteered answers yet."""
    found = session.execute(
        select(col(Response.volunteered)).where(col(Response.survey_id) == survey_id)
    ).first()
    return found is not None and found[0] is None


def volunteer(session: Session, survey_id: int, answers: dict[str, Any]) -> bool:
    """Store the volunteered answers ("don't know" kept as such) once, and commit; False when
    the survey has no answer or its volunteered answers are already stored."""
    kept = {qid: value for qid, value in answers.items() if value is not None}
    result = session.connection().execute(
        update(Response)
        .where(col(Response.survey_id) == survey_id, col(Response.volunteered).is_(None))
        .values(volunteered=kept)
    )
    session.commit()
    return result.rowcount == 1
