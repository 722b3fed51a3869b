"""Matrix sampling: every survey asks `overall`, a rotating subset of the A1.2 b and c items,
and the questions of no part (the comment); over many surveys every item is asked alike.

With n = n_b + n_c rotating items and k asked per survey, the design is a block of n subsets:
subset j takes k_b(j) b-items and k - k_b(j) c-items, k_b spread evenly so that the block holds
k * n_b b-slots and k * n_c c-slots, each part's items taken in turn round its own cycle. Each
item is then in exactly k of the n subsets (share k / n), and each subset has at least one item
of each part. A survey's subset is chosen by a keyed hash of its case reference (one survey per
case, known before the survey's row is written), and stored on the survey.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from survey.config import ConfigError
from survey.keyed import prefixed_hmac_sha256
from survey.questionnaire import (
    PACKAGE_DIR,
    ROTATING_PARTS,
    Questionnaire,
    QuestionnaireError,
    load_questionnaires,
)

ALL = "all"


@dataclass(frozen=True)
class MatrixDesign:
    """The subsets of rotating items a questionnaire's surveys ask, one of them per survey."""

    questionnaire: Questionnaire
    subsets: tuple[tuple[str, ...], ...]

    @property
    def rotating(self) -> tuple[str, ...]:
        return rotating_items(self.questionnaire)

    def asked(self, subset: Sequence[str]) -> tuple[str, ...]:
        """Every question a survey with this subset asks, in questionnaire order."""
        chosen = set(subset)
        return tuple(
            q.id
            for q in self.questionnaire.questions
            if q.part not in ROTATING_PARTS or q.id in chosen
        )


def rotating_items(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The questionnaire's A1.2 b and c items, in its order."""
    return tuple(s for s in questionnaire.asked_items.split(",") if s)


def _part_items(questionnaire: Questionnaire, part: str) -> list[str]:
    return [q.id for q in questionnaire.questions if q.part == part]


def _spread(total: int, count: int) -> list[int]:
    """`count` whole numbers summing to `total`, each floor or ceil of total / count."""
    return [(j + 1) * total // count - j * total // count for j in range(count)]


def subsets(b_items: Sequence[str], c_items: Sequence[str], per_survey: int) -> list[list[str]]:
    """The balanced block of subsets (see the module's docstring); ValueError if none exists."""
    n_b, n_c = len(b_items), len(c_items)
    n = n_b + n_c
    b_counts = _spread(per_survey * n_b, n)
    block: list[list[str]] = []
    b_at = c_at = 0
    for k_b in b_counts:
        k_c = per_survey - k_b
        if not (1 <= k_b <= n_b and 1 <= k_c <= n_c):
            raise ValueError(f"{per_survey} items per survey")
        chosen = [b_items[(b_at + i) % n_b] for i in range(k_b)]
        chosen += [c_items[(c_at + i) % n_c] for i in range(k_c)]
        b_at, c_at = b_at + k_b, c_at + k_c
        block.append(chosen)
    return block


def feasible_sizes(questionnaire: Questionnaire) -> list[int]:
    """The subset sizes below the number of rotating items that give a balanced design."""
    b_items, c_items = _part_items(questionnaire, "b"), _part_items(questionnaire, "c")
    sizes = []
    for k in range(2, len(b_items) + len(c_items)):
        try:
            subsets(b_items, c_items, k)
        except ValueError:
            continue
        sizes.append(k)
    return sizes


def build_design(questionnaire: Questionnaire, per_survey: int | str) -> MatrixDesign:
    """The questionnaire's design for `per_survey` items (`all`: one subset, every item); a
    questionnaire with no more rotating items than that asks them all. ConfigError naming
    SURVEY_ITEMS_PER_SURVEY when no balanced design has that size."""
    b_items, c_items = _part_items(questionnaire, "b"), _part_items(questionnaire, "c")
    if per_survey == ALL or int(per_survey) >= len(b_items) + len(c_items):
        return MatrixDesign(questionnaire, (tuple(b_items + c_items),))
    try:
        block = subsets(b_items, c_items, int(per_survey))
    except ValueError:
        sizes = ", ".join(str(k) for k in feasible_sizes(questionnaire)) or "none"
        raise ConfigError(
            f"SURVEY_ITEMS_PER_SURVEY={per_survey}: questionnaire '{questionnaire.id}' has "
            f"{len(b_items)} A1.2 b items and {len(c_items)} c items, and no design of "
            f"{per_survey} asks each as often with both parts in every survey; "
            f"choose one of {sizes}, or all"
        ) from None
    order = {qid: i for i, qid in enumerate(b_items + c_items)}
    design = MatrixDesign(
        questionnaire, tuple(tuple(sorted(s, key=order.__getitem__)) for s in block)
    )
    check_design(design)
    return design


def check_design(design: MatrixDesign) -> None:
    """Prove the design: every survey covers A1.2 a, b and c, and each rotating item is in as
    many subsets as every other. QuestionnaireError naming what fails."""
    parts = {q.id: q.part for q in design.questionnaire.questions}
    where = f"questionnaire '{design.questionnaire.id}'"
    for subset in design.subsets:
        covered = {parts[qid] for qid in design.asked(subset)}
        missing = [p for p in ("a", "b", "c") if p not in covered]
        if missing:
            raise QuestionnaireError(
                f"{where}: a survey asking {', '.join(subset)} covers no A1.2 " + ", ".join(missing)
            )
    counts = {qid: sum(qid in s for s in design.subsets) for qid in design.rotating}
    if len(set(counts.values())) != 1:
        raise QuestionnaireError(f"{where}: the design asks its items unequally: {counts}")


def asked_problem(design: MatrixDesign, asked_items: str) -> str | None:
    """What is wrong with a survey's stored items, if anything: an item the questionnaire does
    not rotate, or a part of A1.2 b and c left out."""
    parts = {q.id: q.part for q in design.questionnaire.questions}
    items = [item for item in asked_items.split(",") if item]
    unknown = [item for item in items if item not in design.rotating]
    if unknown:
        return f"asks {', '.join(unknown)}, not among the A1.2 b and c items"
    missing = [p for p in ("b", "c") if p not in {parts[item] for item in items}]
    if missing:
        return f"asks no A1.2 {' or '.join(missing)} item ({asked_items})"
    return None


def chooser(key: str, design: MatrixDesign) -> Callable[[str], str]:
    """case_ref -> the asked rotating items, comma-separated (what the survey stores)."""
    mac = prefixed_hmac_sha256(key.encode(), b"items:")
    stored = [",".join(s) for s in design.subsets]

    def choose(case_ref: str) -> str:
        h = int.from_bytes(mac(case_ref.encode())[:8], "big")
        return stored[h % len(stored)]

    return choose


@lru_cache(maxsize=4)
def default_design(instance_path: Path, per_survey: int | str) -> MatrixDesign:
    """The design new surveys get: the default questionnaire's (an instance's own overrides)."""
    found = load_questionnaires([PACKAGE_DIR, instance_path / "questionnaires"])
    return build_design(found["default"], per_survey)


def design_for(instance_path: Path, per_survey: int | str) -> MatrixDesign:
    """The default questionnaire's design for SURVEY_ITEMS_PER_SURVEY, checked; ConfigError
    naming the setting when it asks more items than there are, or has no balanced design."""
    design = default_design(instance_path, per_survey)
    count = len(design.rotating)
    if per_survey != ALL and int(per_survey) > count:
        raise ConfigError(
            f"SURVEY_ITEMS_PER_SURVEY={per_survey}: questionnaire 'default' has {count} A1.2 "
            f"b and c items; choose at most {count}, or all"
        )
    return design
