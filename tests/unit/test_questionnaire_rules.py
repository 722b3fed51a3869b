"""SURVEY_QUESTIONNAIRE_RULES: parsed and checked at start, the first matching rule wins."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.config import ConfigError, load_settings
from survey.questionnaire_rules import (
    RULE_KEYS,
    QuestionnaireRule,
    parse_rule,
    parse_rules,
    questionnaire_for,
    unknown_questionnaires,
)

SECRETS = {"secret_key": "s" * 32, "sampling_secret": "t" * 32, "identifier_key": "u" * 32}
CONTACT = {"case_type": "faktura", "actor": "partner", "channel": "sms"}


def test_a_rule_reads_key_value_and_questionnaire() -> None:
    assert parse_rule(" case_type:faktura = short ") == QuestionnaireRule(
        "case_type", "faktura", "short"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("queue:kassa=short", "has key 'queue'; expected one of case_type, actor, channel"),
        ("case_type=short", "is not of the form key:value=questionnaire_id"),
        ("case_type:faktura", "is not of the form key:value=questionnaire_id"),
        ("case_type:faktura=short=long", "is not of the form key:value=questionnaire_id"),
        ("case_type: =short", "is not of the form key:value=questionnaire_id"),
    ],
)
def test_a_bad_rule_is_refused_by_name(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=f"rule {text!r} {says}"):
        parse_rule(text)


def test_the_first_matching_rule_wins_else_the_default() -> None:
    rules = parse_rules(["channel:email=long", "actor:partner=partner", "case_type:faktura=short"])
    assert questionnaire_for(rules, CONTACT) == "partner"
    assert questionnaire_for(rules, {**CONTACT, "channel": "email"}) == "long"
    assert questionnaire_for(rules, {**CONTACT, "actor": "in-house"}) == "short"
    assert questionnaire_for(rules, {"case_type": None, "actor": None, "channel": "sms"}) == (
        "default"
    )
    assert questionnaire_for((), CONTACT) == "default"


def test_rules_naming_questionnaires_not_loaded_are_listed() -> None:
    rules = parse_rules(["case_type:a=short", "case_type:b=nosuch", "channel:sms=default"])
    assert [str(r) for r in unknown_questionnaires(rules, ["default", "short"])] == [
        "case_type:b=nosuch"
    ]


_words = st.text(st.characters(categories=("L", "N"), include_characters="-_"), min_size=1)
_rules = st.lists(st.builds(QuestionnaireRule, st.sampled_from(RULE_KEYS), _words, _words))


@given(rules=_rules, case_type=_words, actor=_words, channel=_words)
def test_the_choice_is_the_first_rule_that_matches(
    rules: list[QuestionnaireRule], case_type: str, actor: str, channel: str
) -> None:
    contact = {"case_type": case_type, "actor": actor, "channel": channel}
    matching = [r.questionnaire for r in rules if contact[r.key] == r.value]
    assert questionnaire_for(rules, contact) == (matching[0] if matching else "default")
    assert parse_rules(str(r) for r in rules) == tuple(rules)


def test_the_setting_reads_an_ordered_list_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_RULES", "case_type:faktura = short, channel:sms=short")
    settings = load_settings({"instance_path": tmp_path, **SECRETS})
    assert settings.questionnaire_rules == ["case_type:faktura=short", "channel:sms=short"]
    monkeypatch.delenv("SURVEY_QUESTIONNAIRE_RULES")
    assert load_settings({"instance_path": tmp_path, **SECRETS}).questionnaire_rules == []


def test_a_bad_rule_in_the_environment_names_the_variable_and_the_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_RULES", "case_type:faktura=short,queue:kassa=short")
    with pytest.raises(ConfigError, match=r"SURVEY_QUESTIONNAIRE_RULES: rule 'queue:kassa=short'"):
        load_settings({"instance_path": tmp_path, **SECRETS})
