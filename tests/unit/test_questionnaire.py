from __future__ import annotations

from pathlib import Path

import pytest

from survey.questionnaire import (
    DONT_KNOW,
    PACKAGE_DIR,
    Question,
    Questionnaire,
    QuestionnaireError,
    load_questionnaire,
    load_questionnaires,
    parse_answers,
    read_answer,
)

DEFAULT_IDS = [
    "overall",
    "response_time",
    "manner",
    "clarity",
    "knowledge",
    "engagement",
    "proactivity",
    "efficiency",
    "follow_up",
    "time_taken",
    "resolution",
    "fcr",
    "comment",
]

MINIMAL = """
id = "custom"
version = 3
[scales.s]
sv = ["1", "2", "3", "4", "5"]
en = ["1", "2", "3", "4", "5"]
{questions}
"""
OVERALL = """
[[questions]]
id = "overall"
part = "a"
kind = "scale"
scale = "s"
required = true
text.sv = "Hur nöjd?"
text.en = "How satisfied?"
"""


def question(qid: str, part: str, kind: str = "scale", extra: str = "") -> str:
    scale = 'scale = "s"' if kind == "scale" else ""
    return f"""
[[questions]]
id = "{qid}"
part = "{part}"
kind = "{kind}"
{scale}
text.sv = "sv {qid}"
text.en = "en {qid}"
{extra}
"""


def write(tmp_path: Path, questions: str) -> Path:
    path = tmp_path / "custom.toml"
    path.write_text(MINIMAL.format(questions=questions), encoding="utf-8")
    return path


def test_the_shipped_questionnaires_load_with_the_spec_question_ids() -> None:
    found = load_questionnaires()
    assert [q.id for q in found["default"].questions] == DEFAULT_IDS
    assert found["default"].version >= 1
    short = found["short"]
    parts = [q.part for q in short.questions if q.part]
    assert sorted(parts) == ["a", "b", "c"]


def test_every_question_has_swedish_and_english_wording() -> None:
    for questionnaire in load_questionnaires().values():
        for q in questionnaire.questions:
            assert q.label("sv") != q.label("en"), q.id
            for option in q.options:
                assert option.label("sv") and option.label("en")


def test_a_questionnaire_without_part_b_is_refused_naming_the_part(tmp_path: Path) -> None:
    path = write(tmp_path, OVERALL + question("efficiency", "c"))
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    message = str(raised.value)
    assert "A1.2 b" in message and "custom" in message
    assert "A1.2 c" not in message


def test_a_questionnaire_missing_two_parts_names_both(tmp_path: Path) -> None:
    path = write(tmp_path, OVERALL)
    with pytest.raises(QuestionnaireError, match=r"A1\.2 b .*A1\.2 c"):
        load_questionnaire(path)


def test_a_complete_custom_questionnaire_loads(tmp_path: Path) -> None:
    path = write(tmp_path, OVERALL + question("manner", "b") + question("speed", "c"))
    loaded = load_questionnaire(path)
    assert (loaded.id, loaded.version) == ("custom", 3)
    assert [p for p, _ in loaded.by_part()] == ["a", "b", "c"]


def test_overall_is_required_for_part_a(tmp_path: Path) -> None:
    path = write(
        tmp_path, question("general", "a") + question("manner", "b") + question("speed", "c")
    )
    with pytest.raises(QuestionnaireError, match="overall"):
        load_questionnaire(path)


def test_missing_swedish_text_is_refused(tmp_path: Path) -> None:
    broken = question("manner", "b").replace('text.sv = "sv manner"', "")
    path = write(tmp_path, OVERALL + broken + question("speed", "c"))
    with pytest.raises(QuestionnaireError, match="'manner' has no text in sv"):
        load_questionnaire(path)


@pytest.mark.parametrize("taken", ["csrf_token", "action", "questionnaire"])
def test_a_question_may_not_take_a_name_the_form_uses(tmp_path: Path, taken: str) -> None:
    path = write(tmp_path, OVERALL + question("manner", "b") + question(taken, "c"))
    with pytest.raises(QuestionnaireError, match=f"question '{taken}': the form itself uses"):
        load_questionnaire(path)


def test_a_typed_column_must_keep_its_values(tmp_path: Path) -> None:
    options = 'options = [{ value = "maybe", sv = "Kanske", en = "Maybe" }]'
    path = write(
        tmp_path, OVERALL + question("manner", "b") + question("resolution", "c", "choice", options)
    )
    with pytest.raises(QuestionnaireError, match="resolution"):
        load_questionnaire(path)


def test_an_instance_questionnaire_overrides_a_shipped_one(tmp_path: Path) -> None:
    text = (PACKAGE_DIR / "short.toml").read_text(encoding="utf-8")
    (tmp_path / "short.toml").write_text(text.replace("version = 1", "version = 2"), "utf-8")
    found = load_questionnaires([PACKAGE_DIR, tmp_path])
    assert found["short"].version == 2
    assert found["default"].version == 1


@pytest.fixture(scope="module")
def default() -> Questionnaire:
    return load_questionnaires()["default"]


def test_parse_keeps_answers_dont_know_and_skipped_questions(default: Questionnaire) -> None:
    parsed = parse_answers(
        default,
        {"overall": "5", "manner": "", "clarity": "2", "resolution": "partly", "comment": " Bra "},
    )
    assert parsed.errors == {}
    assert parsed.answers == {
        "overall": 5,
        "manner": DONT_KNOW,
        "clarity": 2,
        "resolution": "partly",
        "comment": "Bra",
    }


def test_parse_requires_overall_and_keeps_what_was_entered(default: Questionnaire) -> None:
    parsed = parse_answers(default, {"manner": "4", "comment": "text"})
    assert parsed.errors == {"overall": "required"}
    assert parsed.entered == {"manner": "4", "comment": "text"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("overall", "6"),
        ("overall", "0"),
        ("manner", "x"),
        ("resolution", "maybe"),
        ("fcr", "partly"),
    ],
)
def test_parse_refuses_values_outside_the_question(
    default: Questionnaire, field: str, value: str
) -> None:
    form = {"overall": "3", field: value}
    assert parse_answers(default, form).errors == {field: "invalid"}


def test_parse_bounds_the_comment(default: Questionnaire) -> None:
    parsed = parse_answers(default, {"overall": "3", "comment": "x" * 1001})
    assert parsed.errors == {"comment": "too_long"}
    assert parsed.entered["comment"] == "x" * 1001
    assert parse_answers(default, {"overall": "3", "comment": "x" * 1000}).errors == {}


def test_dont_know_is_not_offered_for_overall(default: Questionnaire) -> None:
    assert parse_answers(default, {"overall": ""}).errors == {"overall": "required"}


REQUIRED_SCALE = Question("overall", "scale", {"en": "Overall?"}, part="a", required=True)
OPTIONAL_SCALE = Question("manner", "scale", {"en": "Manner?"}, part="b")
DONT_KNOW_SCALE = Question("clarity", "scale", {"en": "Clarity?"}, part="b", dont_know=True)
COMMENT = Question("comment", "text", {"en": "Anything else?"}, max_length=5)


@pytest.mark.parametrize(
    ("question", "raw", "reading"),
    [
        (REQUIRED_SCALE, None, (None, "required")),
        (REQUIRED_SCALE, " ", (None, "required")),
        (REQUIRED_SCALE, " 4 ", (4, None)),
        (OPTIONAL_SCALE, None, (None, None)),
        (OPTIONAL_SCALE, "", (None, None)),
        (OPTIONAL_SCALE, "4.0", (None, "invalid")),
        (DONT_KNOW_SCALE, "", (DONT_KNOW, None)),
        (COMMENT, " a\x00b ", ("ab", None)),
        (COMMENT, "   ", (None, None)),
        (COMMENT, "123456", (None, "too_long")),
    ],
)
def test_a_form_field_reads_as_an_answer_nothing_or_an_error(
    question: Question, raw: str | None, reading: tuple[object, str | None]
) -> None:
    assert read_answer(question, raw) == reading
