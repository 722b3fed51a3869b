"""The questionnaire a new survey asks, by SURVEY_QUESTIONNAIRE_RULES, and the items it asks:
the matrix subset for the default questionnaire (survey/matrix.py), every A1.2 b and c item of
any other."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from survey.config import ConfigError, Settings
from survey.matrix import chooser, design_for
from survey.models import Actor
from survey.questionnaire import PACKAGE_DIR, Questionnaire, load_questionnaires
from survey.questionnaire_rules import (
    DEFAULT,
    QuestionnaireRule,
    parse_rules,
    questionnaire_for,
    unknown_questionnaires,
)
from survey.sampling.attribution import CaseView

# A case -> (questionnaire id, asked A1.2 b and c items, comma-separated).
Asking = Callable[[CaseView], tuple[str, str]]


@lru_cache(maxsize=4)
def instance_questionnaires(instance_path: Path) -> dict[str, Questionnaire]:
    """The questionnaires surveys can ask: the package's and the instance folder's."""
    return load_questionnaires([PACKAGE_DIR, instance_path / "questionnaires"])


def check_questionnaire_rules(settings: Settings) -> None:
    """ConfigError naming each rule whose questionnaire is not loaded."""
    loaded = instance_questionnaires(settings.instance_path)
    bad = unknown_questionnaires(parse_rules(settings.questionnaire_rules), loaded)
    if bad:
        raise ConfigError(
            "invalid configuration: SURVEY_QUESTIONNAIRE_RULES: "
            + "; ".join(f"rule {str(r)!r} names questionnaire {r.questionnaire!r}" for r in bad)
            + f", which is not loaded (loaded: {', '.join(sorted(loaded))})"
        )


def asking(settings: Settings, session: Session) -> Asking:
    """What each new survey asks (see the module's docstring)."""
    rules = parse_rules(settings.questionnaire_rules)
    design = design_for(settings.instance_path, settings.items_per_survey)
    choose = chooser(settings.sampling_secret, design)
    if not rules:
        return lambda view: (DEFAULT, choose(view.case_ref))
    loaded = instance_questionnaires(settings.instance_path)
    actors = _actor_names(session, rules)

    def ask(view: CaseView) -> tuple[str, str]:
        last = view.last
        attributes = {
            "case_type": last.case_type,
            "actor": actors.get(last.actor_id),
            "channel": str(last.channel),
        }
        questionnaire = questionnaire_for(rules, attributes)
        if questionnaire == DEFAULT:
            return DEFAULT, choose(view.case_ref)
        return questionnaire, loaded[questionnaire].asked_items

    return ask


def _actor_names(session: Session, rules: tuple[QuestionnaireRule, ...]) -> dict[int, str]:
    names = {rule.value for rule in rules if rule.key == "actor"}
    if not names:
        return {}
    query = select(col(Actor.id), col(Actor.name)).where(col(Actor.name).in_(names))
    return {actor_id: name for actor_id, name in session.exec(query) if actor_id is not None}
