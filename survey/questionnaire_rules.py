"""Which questionnaire a survey asks: ordered rules mapping a contact's case type, actor or
channel to a questionnaire id (SURVEY_QUESTIONNAIRE_RULES); the first rule that matches wins,
else `default`.

A rule is `key:value=questionnaire_id`, e.g. `case_type:faktura=short`; `actor` matches the
actor's name. Values are compared exactly as stored on the contact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

RULE_KEYS = ("case_type", "actor", "channel")
DEFAULT = "default"
_RULE = re.compile(r"(?P<key>[^:=]+):(?P<value>[^=]+)=(?P<questionnaire>[^=]+)")


@dataclass(frozen=True)
class QuestionnaireRule:
    key: str
    value: str
    questionnaire: str

    def __str__(self) -> str:
        return f"{self.key}:{self.value}={self.questionnaire}"


def parse_rule(text: str) -> QuestionnaireRule:
    """One rule; ValueError naming it when it is malformed or its key unknown."""
    found = _RULE.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"rule {text!r} is not of the form key:value=questionnaire_id")
    key, value, questionnaire = (found[name].strip() for name in ("key", "value", "questionnaire"))
    if key not in RULE_KEYS:
        raise ValueError(f"rule {text!r} has key {key!r}; expected one of {', '.join(RULE_KEYS)}")
    if not value or not questionnaire:
        raise ValueError(f"rule {text!r} is not of the form key:value=questionnaire_id")
    return QuestionnaireRule(key, value, questionnaire)


def parse_rules(texts: Iterable[str]) -> tuple[QuestionnaireRule, ...]:
    """The rules in order; ValueError naming the first bad one."""
    return tuple(parse_rule(text) for text in texts)


def unknown_questionnaires(
    rules: Sequence[QuestionnaireRule], loaded: Iterable[str]
) -> list[QuestionnaireRule]:
    """The rules naming a questionnaire that is not loaded."""
    known = set(loaded)
    return [rule for rule in rules if rule.questionnaire not in known]


def questionnaire_for(
    rules: Sequence[QuestionnaireRule], attributes: Mapping[str, str | None]
) -> str:
    """The questionnaire of the first rule whose key's attribute equals its value, else
    `default`. `attributes`: the contact's case_type, actor (name) and channel."""
    for rule in rules:
        if attributes.get(rule.key) == rule.value:
            return rule.questionnaire
    return DEFAULT


def checked_rules(texts: list[str]) -> list[str]:
    """The setting's rules, each checked (ValueError naming a bad one), without spaces."""
    return [str(rule) for rule in parse_rules(texts)]


# The setting's type: a list of rules, each checked when the settings are read.
RulesSetting = Annotated[list[str], AfterValidator(checked_rules)]
