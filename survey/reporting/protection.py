"""Which groups' scores a report hides so that none can be worked out from what it publishes.

The counts (responses, answers per item) are always published; a hidden group's scores are
not. The total's sums minus the published groups' sums give the hidden groups' combined sums,
and every answer lies in 1..5 (a yes/no or a choice in 0..1), so each hidden figure lies in a
known interval. A hidden group's value is pinned when the combined sum leaves it no room:

- a figure in which only one hidden group has answers (the subtraction gives it away), or
- a combined sum at a bound of its range: every hidden answer the minimum or every one the
  maximum (Σy = Σn or 5Σn, a CSAT count of 0 or Σn, and the same for each item and share).

With at least two hidden groups having answers in a figure, and the combined sum strictly
inside its range, every one of them keeps a range wider than zero (the others can take up
the difference). The design-weighted sums are published too (Σw·y per group and total), and
a weighted and an unweighted sum together are two equations over the hidden groups; the rule
therefore also protects each rate's slice (the answers decided at one rate) on its own, which
is sufficient whatever weights the rates have.

The rule: hide the groups with fewer responses than the minimum; while some figure of the
hidden ones is pinned, hide also the visible group with answers with the fewest responses
(ties in the groups' order); when none is left, hide the total's scores too, so that the
hidden groups' sums are no longer known. A group without answers has nothing to protect and
nothing to give away: it never causes, nor serves as, complementary suppression.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from survey.models import CASE_HANDLING_ITEMS, CONTACT_EXPERIENCE_ITEMS, RESOLUTION_CHOICES
from survey.reporting.weighted import RateSums

# One published figure of a group: its value and the least and greatest it could be.
Bound = tuple[float, float, float]


def bounded_figures(row: Mapping[str, Any], by_rate: Mapping[str, RateSums]) -> dict[str, Bound]:
    """The summed figures a report publishes for a group (as scores), with their bounds."""
    n = row.get("responses", 0)
    found: dict[str, Bound] = {
        "overall": (row.get("overall_sum", 0), n, 5 * n),
        "csat": (row.get("csat_yes", 0), 0, n),
        "fcr": (row.get("fcr_yes", 0), 0, row.get("fcr_n", 0)),
    }
    for answer in RESOLUTION_CHOICES:
        found[f"resolution_{answer}"] = (
            row.get(f"resolution_{answer}", 0),
            0,
            row.get("resolution_n", 0),
        )
    for item in CONTACT_EXPERIENCE_ITEMS + CASE_HANDLING_ITEMS:
        answers = row.get(f"{item}_n", 0)
        found[item] = (row.get(f"{item}_sum", 0), answers, 5 * answers)
    for rate, part in by_rate.items():
        found[f"overall@{rate}"] = (part.total, part.n, 5 * part.n)
        found[f"csat@{rate}"] = (part.csat, 0, part.n)
    return found


def pinned(figures: Sequence[Mapping[str, Bound]]) -> bool:
    """Whether the combined sums of these (hidden) groups leave some group's figure determined."""
    names = {name for group in figures for name in group}
    for name in names:
        parts = [group[name] for group in figures if name in group]
        free = sum(1 for _, low, high in parts if high > low)
        if free == 0:
            continue
        value = sum(part[0] for part in parts)
        low = sum(part[1] for part in parts)
        high = sum(part[2] for part in parts)
        if free == 1 or not low < value < high:
            return True
    return False


def hidden_scores(
    sizes: Sequence[int], figures: Sequence[Mapping[str, Bound]], min_size: int
) -> tuple[set[int], bool]:
    """The groups (by position) whose scores are hidden, and whether the total's are too."""
    if sum(sizes) < min_size:
        return set(range(len(sizes))), True
    hidden = {i for i, n in enumerate(sizes) if n < min_size}
    while any(sizes[i] > 0 for i in hidden) and pinned([figures[i] for i in hidden]):
        rest = [i for i, n in enumerate(sizes) if i not in hidden and n > 0]
        if not rest:
            return hidden, True
        hidden.add(min(rest, key=lambda i: (sizes[i], i)))
    return hidden, False
