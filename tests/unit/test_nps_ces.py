"""NPS and CES questions: read from a questionnaire file, checked, and their statistics against
an independent computation (each answer scored +1, 0 or -1; scipy's t interval)."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import fmean, pvariance

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sp

from survey.questionnaire import QuestionnaireError, load_questionnaire, parse_answers
from survey.reporting.measures import ces, measures_of, nps

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "questionnaires"
WITH_MEASURES = EXAMPLE / "default-with-nps-ces.toml"


def test_the_example_questionnaire_adds_nps_and_ces_beside_a1_2() -> None:
    questionnaire = load_questionnaire(WITH_MEASURES)
    assert measures_of([questionnaire]) == {"recommend": "nps", "effort": "ces"}
    parts = [part for part, _ in questionnaire.by_part()]
    assert parts == ["a", "b", "c", "measures", None]
    recommend = next(q for q in questionnaire.questions if q.id == "recommend")
    assert [o.value for o in recommend.options] == [str(n) for n in range(11)]
    assert recommend.options[0].label("sv") == "Inte alls troligt"
    assert recommend.options[5].label("en") == "5"


def test_answers_are_read_within_each_kinds_points() -> None:
    questionnaire = load_questionnaire(WITH_MEASURES)
    good = parse_answers(questionnaire, {"overall": "4", "recommend": "0", "effort": "7"})
    assert good.errors == {} and good.answers == {"overall": 4, "recommend": 0, "effort": 7}
    bad = parse_answers(questionnaire, {"overall": "4", "recommend": "11", "effort": "0"})
    assert bad.errors == {"recommend": "invalid", "effort": "invalid"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('dont_know = true\nends.sv = ["a", "b"]\nends.en = ["a", "b"]', 'no "don\'t know"'),
        ('ends.sv = ["a", "b"]', "needs ends = \\[low, high\\] in en"),
    ],
)
def test_an_nps_question_without_ends_or_with_dont_know_is_refused(
    tmp_path: Path, extra: str, message: str
) -> None:
    text = WITH_MEASURES.read_text().replace(
        'ends.sv = ["Inte alls troligt", "Mycket troligt"]\n'
        'ends.en = ["Not at all likely", "Extremely likely"]',
        extra,
    )
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(QuestionnaireError, match=message):
        load_questionnaire(path)


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=300))
def test_nps_and_its_interval_match_the_scored_answers(answers: list[int]) -> None:
    scored = [1 if a >= 9 else -1 if a <= 6 else 0 for a in answers]
    n = len(scored)
    expected = 100 * fmean(scored)
    half = 1.959963984540054 * 100 * math.sqrt(pvariance(scored) / n)
    promoters = sum(1 for a in answers if a >= 9)
    detractors = sum(1 for a in answers if a <= 6)
    found = nps(promoters, detractors, n)
    assert found["n"] == n
    assert found["score"] == pytest.approx(expected, abs=1e-9)
    low, high = found["ci95"]
    assert low == pytest.approx(max(expected - half, -100), abs=1e-6)
    assert high == pytest.approx(min(expected + half, 100), abs=1e-6)


def test_ces_mean_and_t_interval_match_scipy() -> None:
    answers = [7, 6, 6, 5, 3, 7, 2, 6, 5, 4]
    found = ces(len(answers), sum(answers), sum(a * a for a in answers))
    low, high = sp.t.interval(0.95, len(answers) - 1, loc=fmean(answers), scale=sp.sem(answers))
    assert found["mean"] == pytest.approx(fmean(answers))
    assert found["ci95"] == pytest.approx([low, high])


def test_no_answers_give_no_score() -> None:
    assert nps(0, 0, 0) == {"n": 0, "score": None, "ci95": None}
    assert ces(0, 0, 0)["mean"] is None
