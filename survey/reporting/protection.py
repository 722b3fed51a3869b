"""Which figures a report hides so that no hidden one can be worked out from what it publishes.

A group with fewer responses than the minimum has all its scores hidden (primary suppression).
Every count stays published, and so does the total. The total's sums minus the visible groups'
sums give the hidden groups' combined sums, and every answer lies on a known scale (1-5, or 0-1
for a yes/no or a choice), so a hidden figure is pinned, worked out exactly, when

- only one hidden group has answers in it (the subtraction gives it away), or
- the combined sum lies at a bound of its range (every hidden answer the lowest, or every one
  the highest).

Where the hidden answers' CSAT count c (answers of 4 or 5) is 0 or all of them, each answer's
side is known and the overall sum's range narrows to n + 3c .. 3n + 2c. With two or more
hidden groups having answers in a figure and their combined sum strictly inside its range,
each keeps a range wider than zero. The overall score's interval publishes the sum of squares
too, so hidden answers without spread (every one the same) would be given away; but then
their CSAT count is 0 or all of them, a bound, so the CSAT rule covers it.

The design-weighted overall figures publish each group's answers per sampling rate (a weighted
and an unweighted sum are two equations), so the overall score is protected in each rate's
slice on its own as well.

Complementary suppression works per figure, not per group: for a pinned figure, the visible
group with answers in it and the fewest answers whose hiding unpins it is hidden, in that
figure only (the overall score with CSAT and the weighted figures count as one figure; so do
the three resolution shares; a part's mean is hidden with any of its items). A group without
answers in a figure has nothing to protect and nothing to give away: it never causes, nor
serves as, complementary suppression. When no visible group can unpin a figure (every answer
of the period the same), none is hidden in vain: the total itself tells that value, and the
ungrouped report publishes the total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from survey.models import CASE_HANDLING_ITEMS, CONTACT_EXPERIENCE_ITEMS, RESOLUTION_CHOICES
from survey.reporting.weighted import RateSums

OVERALL, FCR, RESOLUTION = "overall", "fcr", "resolution"
ITEMS = CONTACT_EXPERIENCE_ITEMS + CASE_HANDLING_ITEMS
FAMILIES = (OVERALL, FCR, RESOLUTION, *ITEMS)


@dataclass(frozen=True)
class Cell:
    """One summed figure of one group: n answers on the scale low..high and their sum (and, for
    the overall score, how many of them were 4 or 5)."""

    n: int
    total: float
    low: int = 1
    high: int = 5
    csat: int | None = None


@dataclass
class Combined:
    """Hidden groups' cells of one figure taken together."""

    free: int = 0
    n: int = 0
    total: float = 0.0
    low: int = 1
    high: int = 5
    csat: int | None = 0

    def plus(self, cell: Cell) -> Combined:
        if cell.n == 0:
            return self
        csat = None if self.csat is None or cell.csat is None else self.csat + cell.csat
        total = self.total + cell.total
        return Combined(self.free + 1, self.n + cell.n, total, cell.low, cell.high, csat)

    def pinned(self) -> bool:
        if self.free == 0:
            return False
        if self.free == 1 or not self.n * self.low < self.total < self.n * self.high:
            return True
        if self.csat in (0, self.n):
            # Every hidden answer's side of CSAT is known: the sum's range narrows to it.
            return not self.n + 3 * self.csat < self.total < 3 * self.n + 2 * self.csat
        return False


def cells_of(row: Mapping[str, Any], by_rate: Mapping[str, RateSums]) -> dict[str, dict[str, Cell]]:
    """Per figure (family), the summed cells a group publishes, by name."""
    n = row.get("responses", 0)
    overall = {
        "sum": Cell(n, row.get("overall_sum", 0), csat=row.get("csat_yes", 0)),
        "csat": Cell(n, row.get("csat_yes", 0), 0, 1),
    }
    for rate, part in by_rate.items():
        overall[f"sum@{rate}"] = Cell(part.n, part.total, csat=part.csat)
        overall[f"csat@{rate}"] = Cell(part.n, part.csat, 0, 1)
    resolution_n = row.get("resolution_n", 0)
    found = {
        OVERALL: overall,
        FCR: {"yes": Cell(row.get("fcr_n", 0), row.get("fcr_yes", 0), 0, 1)},
        RESOLUTION: {
            answer: Cell(resolution_n, row.get(f"resolution_{answer}", 0), 0, 1)
            for answer in RESOLUTION_CHOICES
        },
    }
    for item in ITEMS:
        found[item] = {"sum": Cell(row.get(f"{item}_n", 0), row.get(f"{item}_sum", 0))}
    return found


def _answers(cells: Mapping[str, Cell]) -> int:
    return max((cell.n for cell in cells.values()), default=0)


def _combine(groups: Sequence[Mapping[str, Cell]]) -> dict[str, Combined]:
    combined: dict[str, Combined] = {}
    for cells in groups:
        combined = _with(combined, cells)
    return combined


def _with(combined: Mapping[str, Combined], cells: Mapping[str, Cell]) -> dict[str, Combined]:
    joined = dict(combined)
    for name, cell in cells.items():
        joined[name] = joined.get(name, Combined()).plus(cell)
    return joined


def complements(family: Sequence[Mapping[str, Cell]], primary: set[int]) -> set[int]:
    """The visible groups (by position) to hide in one figure so that none of the hidden ones'
    values is pinned: for each pinned part in turn, the group with the fewest answers whose
    hiding unpins it. A part that no group can unpin is left (the total itself tells it)."""
    combined = _combine([family[i] for i in sorted(primary)])
    chosen: set[int] = set()
    left: set[str] = set()
    while pinned := sorted(n for n, p in combined.items() if p.pinned() and n not in left):
        name = pinned[0]
        candidates = sorted(
            (
                i
                for i, cells in enumerate(family)
                if i not in primary and i not in chosen and name in cells and cells[name].n
            ),
            key=lambda i: (_answers(family[i]), i),
        )
        for i in candidates:
            joined = _with(combined, family[i])
            if not joined[name].pinned():
                chosen.add(i)
                combined = joined
                break
        else:
            left.add(name)
    return _pruned(family, primary, chosen, left)


def _pruned(
    family: Sequence[Mapping[str, Cell]], primary: set[int], chosen: set[int], left: set[str]
) -> set[int]:
    """The complements without those a later one made needless (largest first): a group stays
    visible wherever hiding it protects nothing."""
    for i in sorted(chosen, key=lambda i: (-_answers(family[i]), -i)):
        rest = _combine([family[j] for j in sorted(primary | chosen) if j != i])
        if not any(part.pinned() and name not in left for name, part in rest.items()):
            chosen = chosen - {i}
    return chosen


@dataclass
class Protection:
    """Groups hidden whole (fewer responses than the minimum) and, per other group, the figures
    hidden to protect them."""

    primary: set[int]
    figures: dict[int, set[str]]


def protect(
    rows: Sequence[Mapping[str, Any]],
    by_rate: Sequence[Mapping[str, RateSums]],
    min_size: int,
) -> Protection:
    """The suppression of a report's groups (see the module's text)."""
    primary = {i for i, row in enumerate(rows) if row.get("responses", 0) < min_size}
    cells = [cells_of(row, rates) for row, rates in zip(rows, by_rate, strict=True)]
    hidden: dict[int, set[str]] = {}
    for family in FAMILIES:
        for i in complements([group[family] for group in cells], primary):
            hidden.setdefault(i, set()).add(family)
    return Protection(primary, hidden)


def hide_figures(group: dict[str, Any], families: set[str]) -> None:
    """Null the scores of the given figures in a group's published fields (in place)."""
    if OVERALL in families:
        for name in ("mean", "mean_ci95", "csat", "csat_ci95"):
            group["overall"][name] = None
        weighted = group.get("weighted", {}).get("overall")
        if isinstance(weighted, dict):
            for name in weighted:
                weighted[name] = None
    if FCR in families:
        group["fcr"]["share"] = None
    if RESOLUTION in families:
        for answer in RESOLUTION_CHOICES:
            group["resolution"][answer] = None
    for part in ("contact_experience", "case_handling"):
        items = group[part]["items"]
        for item in families & set(items):
            items[item]["mean"] = None
            group[part]["mean"] = None


def overall_hidden(rows: Sequence[Mapping[str, Any]], min_size: int) -> set[int]:
    """The groups (by position) whose overall score and CSAT are hidden, for a report that
    publishes only those (unweighted)."""
    protection = protect(rows, [{} for _ in rows], min_size)
    return protection.primary | {i for i, hidden in protection.figures.items() if OVERALL in hidden}


def measure_hidden(
    sums: Sequence[Mapping[str, int]], measures: Mapping[str, str], primary: set[int]
) -> list[set[str]]:
    """Per group, the NPS and CES questions (SPEC: beside A1.2) whose figures are hidden: all of
    a primary group's, and the complements that keep them from being worked out."""
    hidden = [set(measures) if i in primary else set() for i in range(len(sums))]
    for qid, kind in measures.items():
        family: list[dict[str, Cell]] = []
        for found in sums:
            n = found.get(f"{qid}__n", 0)
            if kind == "nps":
                family.append(
                    {
                        "promoters": Cell(n, found.get(f"{qid}__promoters", 0), 0, 1),
                        "detractors": Cell(n, found.get(f"{qid}__detractors", 0), 0, 1),
                    }
                )
            else:
                family.append({"sum": Cell(n, found.get(f"{qid}__sum", 0), 1, 7)})
        for i in complements(family, primary):
            hidden[i].add(qid)
    return hidden
