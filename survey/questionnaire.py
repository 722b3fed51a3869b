"""Questionnaires as data files: loaded and checked for Bilaga 1 coverage (A1.2 a, b, c) at start.

A questionnaire is a TOML file (see survey/questionnaires/default.toml). Each question declares
the part of A1.2 it covers; a questionnaire that leaves a part uncovered is refused at start with
a message naming the part. Answers are stored against the questionnaire's id and version.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from survey.config import SUPPORTED_LANGUAGES
from survey.models import FCR_CHOICES, RESOLUTION_CHOICES, SCALE_ITEMS

PACKAGE_DIR = Path(__file__).resolve().parent / "questionnaires"
PARTS = {
    "a": "A1.2 a (a general value of satisfaction or dissatisfaction)",
    "b": "A1.2 b (the customer's experience of the contact with customer service)",
    "c": "A1.2 c (the handling of the case)",
}
KINDS = ("scale", "choice", "text", "nps", "ces")
SCALE_POINTS = 5
# The numbered kinds and their points: the 1-5 satisfaction scale, Net Promoter (0-10) and
# Customer Effort (1-7; higher is easier), the last two named at their ends only.
POINTS = {"scale": range(1, SCALE_POINTS + 1), "nps": range(0, 11), "ces": range(1, 8)}
MEASURES = ("nps", "ces")
MEASURE_GROUP = "measures"
DONT_KNOW = "dont_know"
# Question ids that have their own column on Response, and what the column accepts.
SCALE_COLUMNS = frozenset(SCALE_ITEMS)
CHOICE_COLUMNS = {"resolution": frozenset(RESOLUTION_CHOICES), "fcr": frozenset(FCR_CHOICES)}
TEXT_COLUMNS = frozenset({"comment"})
# The survey form's own fields beside the questions: no question may take their names.
FORM_FIELDS = frozenset({"csrf_token", "action", "questionnaire", "asked", "contact_consent"})
# The parts whose items matrix sampling rotates (survey/matrix.py): the rest are always asked.
ROTATING_PARTS = ("b", "c")


class QuestionnaireError(Exception):
    """A questionnaire file is invalid; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Option:
    value: str
    labels: Mapping[str, str]

    def label(self, language: str) -> str:
        return _pick(self.labels, language)


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: Mapping[str, str]
    part: str | None = None
    required: bool = False
    dont_know: bool = False
    options: tuple[Option, ...] = ()
    max_length: int = 1000

    def label(self, language: str) -> str:
        return _pick(self.text, language)

    @property
    def numbered(self) -> bool:
        """Answered by a number on a row of points (scale, nps, ces)."""
        return self.kind in POINTS


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    questions: tuple[Question, ...]
    source: str = ""

    def by_part(self) -> list[tuple[str | None, list[Question]]]:
        """The questions grouped by A1.2 part in questionnaire order, then the NPS and CES
        questions of no part ("measures"), then the other unassigned ones."""
        groups: dict[str | None, list[Question]] = {}
        for question in self.questions:
            measure = question.part is None and question.kind in MEASURES
            groups.setdefault(MEASURE_GROUP if measure else question.part, []).append(question)
        ordered: list[tuple[str | None, list[Question]]] = [
            (p, groups[p]) for p in (*PARTS, MEASURE_GROUP) if p in groups
        ]
        if None in groups:
            ordered.append((None, groups[None]))
        return ordered

    @property
    def asked_items(self) -> str:
        """Its A1.2 b and c items, comma-separated: what a survey asking them stores."""
        return ",".join(q.id for q in self.questions if q.part in ROTATING_PARTS)

    def asking(self, items: Iterable[str] | None) -> Questionnaire:
        """The questionnaire as a survey asking only these A1.2 b and c items sees it (None:
        all); answers to the others are not read."""
        if items is None:
            return self
        chosen = set(items)
        questions = tuple(
            q for q in self.questions if q.part not in ROTATING_PARTS or q.id in chosen
        )
        return replace(self, questions=questions)


@dataclass
class ParsedAnswers:
    """What a submitted form says: answers by question id, errors by question id (codes)."""

    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)


def parse_asked(stored: str | None) -> frozenset[str] | None:
    """The rotating items a survey asks, from its column; None: every item (no design)."""
    if stored is None:
        return None
    return frozenset(s for s in stored.split(",") if s)


def _pick(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()))


def parse_answers(questionnaire: Questionnaire, form: Mapping[str, str]) -> ParsedAnswers:
    """Validate a submitted form against the questionnaire (pure; no database)."""
    parsed = ParsedAnswers()
    for question in questionnaire.questions:
        raw = form.get(question.id)
        if raw is not None:
            parsed.entered[question.id] = raw
        answer, error = read_answer(question, raw)
        if error is not None:
            parsed.errors[question.id] = error
        elif answer is not None:
            parsed.answers[question.id] = answer
    return parsed


Reading = tuple[Any, str | None]
"""A question's answer (None when there is none) and the code of its error (None when none)."""


def read_answer(question: Question, raw: str | None) -> Reading:
    """What one form field says about its question: an answer, nothing, or an error code."""
    if raw is None:
        return None, "required" if question.required else None
    if question.kind == "text":
        return _read_text(question, raw)
    value = raw.strip()
    if value == "":
        return _read_blank(question)
    if question.kind in POINTS:
        valid = value in {str(n) for n in POINTS[question.kind]}
        return (int(value), None) if valid else (None, "invalid")
    valid = value in {o.value for o in question.options}
    return (value, None) if valid else (None, "invalid")


def _read_text(question: Question, raw: str) -> Reading:
    text = raw.replace("\x00", "").strip()
    if len(text) > question.max_length:
        return None, "too_long"
    return text or None, None


def _read_blank(question: Question) -> Reading:
    if question.required:
        return None, "required"
    return DONT_KNOW if question.dont_know else None, None


def load_questionnaires(directories: Iterable[Path] = (PACKAGE_DIR,)) -> dict[str, Questionnaire]:
    """Every *.toml questionnaire in the directories (later ones override by id), all checked."""
    found: dict[str, Questionnaire] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            questionnaire = load_questionnaire(path)
            found[questionnaire.id] = questionnaire
    if "default" not in found:
        raise QuestionnaireError("no questionnaire with id 'default' was found")
    return found


def load_questionnaire(path: Path) -> Questionnaire:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        questionnaire = _build(data, str(path))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise QuestionnaireError(f"questionnaire {path}: {exc}") from exc
    check_coverage(questionnaire)
    return questionnaire


def check_coverage(questionnaire: Questionnaire) -> None:
    """Refuse a questionnaire that does not cover every part of Bilaga 1 A1.2."""
    covered = {q.part for q in questionnaire.questions}
    missing = [text for part, text in PARTS.items() if part not in covered]
    if missing:
        raise QuestionnaireError(
            f"questionnaire '{questionnaire.id}' ({questionnaire.source}) does not cover "
            + "; ".join(missing)
            + ": add a question with that part"
        )
    overall = next((q for q in questionnaire.questions if q.id == "overall"), None)
    if overall is None or overall.part != "a" or overall.kind != "scale" or not overall.required:
        raise QuestionnaireError(
            f"questionnaire '{questionnaire.id}' ({questionnaire.source}) needs the question "
            "'overall' (a required scale, part a): a survey counts as a response by it"
        )


def _texts(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(
            f"{what} needs a text for each language ({', '.join(SUPPORTED_LANGUAGES)})"
        )
    missing = [lang for lang in SUPPORTED_LANGUAGES if not str(value.get(lang, "")).strip()]
    if missing:
        raise ValueError(f"{what} has no text in {', '.join(missing)}")
    return {str(k): str(v) for k, v in value.items()}


def _build(data: dict[str, Any], source: str) -> Questionnaire:
    qid, version = str(data["id"]), data["version"]
    if not isinstance(version, int) or version < 1:
        raise ValueError("version must be a whole number, 1 or more")
    scales = data.get("scales", {})
    questions: list[Question] = []
    for item in data.get("questions", []):
        questions.append(_question(item, scales))
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"question ids appear twice: {', '.join(duplicates)}")
    return Questionnaire(id=qid, version=version, questions=tuple(questions), source=source)


def _question(item: dict[str, Any], scales: dict[str, Any]) -> Question:
    qid, kind, part = str(item["id"]), item["kind"], item.get("part")
    where = f"question '{qid}'"
    if not qid.isidentifier():
        raise ValueError(f"{where}: an id is letters, digits and underscores")
    if qid in FORM_FIELDS:
        taken = ", ".join(sorted(FORM_FIELDS))
        raise ValueError(f"{where}: the form itself uses that name ({taken})")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}")
    if part is not None and part not in PARTS:
        raise ValueError(f"{where}: part must be one of {', '.join(PARTS)}")
    options: tuple[Option, ...] = ()
    if kind == "scale":
        labels = scales[item["scale"]]
        for lang in SUPPORTED_LANGUAGES:
            if len(labels.get(lang, [])) != SCALE_POINTS:
                raise ValueError(f"{where}: scale needs {SCALE_POINTS} labels in {lang}")
        options = tuple(
            Option(str(n + 1), {lang: labels[lang][n] for lang in labels})
            for n in range(SCALE_POINTS)
        )
    elif kind in POINTS:
        options = _numbered(kind, item, where)
    elif kind == "choice":
        options = tuple(
            Option(str(o["value"]), _texts(o, f"{where} option {o.get('value')!r}"))
            for o in item["options"]
        )
        if not options:
            raise ValueError(f"{where}: a choice needs options")
    _check_column(qid, kind, options, where)
    return Question(
        id=qid,
        kind=kind,
        text=_texts(item.get("text"), where),
        part=part,
        required=bool(item.get("required", False)),
        dont_know=bool(item.get("dont_know", False)),
        options=options,
        max_length=int(item.get("max_length", 1000)),
    )


def _numbered(kind: str, item: dict[str, Any], where: str) -> tuple[Option, ...]:
    """The points of an nps or ces question, its two ends named (`ends`, per language)."""
    if item.get("dont_know"):
        raise ValueError(f'{where}: an {kind} question has no "don\'t know"')
    ends = item.get("ends", {})
    for lang in SUPPORTED_LANGUAGES:
        if len(ends.get(lang, [])) != 2:
            raise ValueError(f"{where}: an {kind} question needs ends = [low, high] in {lang}")
    points = list(POINTS[kind])
    return tuple(
        Option(
            str(n),
            {
                lang: ends[lang][0]
                if n == points[0]
                else ends[lang][1]
                if n == points[-1]
                else str(n)
                for lang in ends
            },
        )
        for n in points
    )


def _check_column(qid: str, kind: str, options: tuple[Option, ...], where: str) -> None:
    """A question stored in a typed Response column must fit that column."""
    if qid in SCALE_COLUMNS and kind != "scale":
        raise ValueError(f"{where}: is stored as a 1-5 score and must be a scale")
    if qid in CHOICE_COLUMNS:
        allowed = CHOICE_COLUMNS[qid]
        if kind != "choice" or not {o.value for o in options} <= allowed:
            raise ValueError(f"{where}: must be a choice among {', '.join(sorted(allowed))}")
    if qid in TEXT_COLUMNS and kind != "text":
        raise ValueError(f"{where}: must be free text")
