from __future__ import annotations

from sqlalchemy import func, select

from survey.context import Context
from survey.models import Survey, SurveyIdentifier
from tests.factories import make_survey


def test_make_survey_leaves_one_survey_with_its_identifiers(ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact={"customer_email": "a@example.se"})
        assert session.scalar(select(func.count()).select_from(Survey)) == 1
        hashes = session.scalars(
            select(SurveyIdentifier.kind).where(SurveyIdentifier.survey_id == survey.id)
        ).all()
    assert sorted(hashes) == ["email", "phone"]
    assert survey.send_channel == "sms"
