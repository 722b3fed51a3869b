"""Design-weighted estimates (SPEC section 7): every case did not have the same chance.

Each answer is weighted w = 1 / the inclusion probability of its case, the rate of the policy
version that decided it (stored on the decision). The mean is the Hájek estimate
ȳ = Σwy / Σw with variance n/(n-1) · Σw²(y-ȳ)² / (Σw)² and a t interval at n-1 degrees of
freedom; CSAT is Σw·[y ≥ 4] / Σw with a Wilson interval at Kish's effective sample size
n_eff = (Σw)² / Σw². Answers are summed per rate in the database (few distinct rates), so the
sums over answers expand exactly: Σw²(y-ȳ)² = Σ_r w_r² (Σy² - 2ȳΣy + n_r ȳ²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from survey.reporting import stats

Key = tuple[Any, ...]


@dataclass
class RateSums:
    """The answers of one group decided at one rate."""

    n: int
    total: float
    total_sq: float
    csat: int


def merge(groups: list[dict[str, RateSums]]) -> dict[str, RateSums]:
    """The sums of several groups together (the total)."""
    merged: dict[str, RateSums] = {}
    for sums in groups:
        for rate, part in sums.items():
            into = merged.setdefault(rate, RateSums(0, 0.0, 0.0, 0))
            into.n += part.n
            into.total += part.total
            into.total_sq += part.total_sq
            into.csat += part.csat
    return merged


def weighted_overall(sums: dict[str, RateSums], *, suppressed: bool) -> dict[str, Any]:
    """The weighted overall figures of a group; all null when suppressed or without answers."""
    empty = {"mean": None, "mean_ci95": None, "csat": None, "csat_ci95": None}
    parts = [(_weight(rate), part) for rate, part in sums.items() if part.n]
    n = sum(part.n for _, part in parts)
    if suppressed or n == 0 or any(w is None for w, _ in parts):
        return {**empty, "effective_n": None}
    weighted = [(float(w), part) for w, part in parts if w is not None]
    sum_w = sum(w * part.n for w, part in weighted)
    sum_w2 = sum(w * w * part.n for w, part in weighted)
    mean = sum(w * part.total for w, part in weighted) / sum_w
    csat = sum(w * part.csat for w, part in weighted) / sum_w
    n_eff = sum_w * sum_w / sum_w2
    result: dict[str, Any] = {
        "mean": mean,
        "mean_ci95": None,
        "csat": csat,
        "csat_ci95": _wilson(csat, n_eff),
        "effective_n": n_eff,
    }
    if n > 1:
        spread = sum(
            w * w * (part.total_sq - 2 * mean * part.total + part.n * mean * mean)
            for w, part in weighted
        )
        variance = n / (n - 1) * max(spread, 0.0) / (sum_w * sum_w)
        half = stats.t_quantile(0.975, n - 1) * math.sqrt(variance)
        result["mean_ci95"] = [mean - half, mean + half]
    return result


def _weight(rate: str) -> Fraction | None:
    """1 / the inclusion probability; None for a rate of 0 (nothing decided at it is drawn)."""
    try:
        probability = Fraction(rate)
    except (ValueError, ZeroDivisionError):
        return None
    return 1 / probability if probability > 0 else None


def _wilson(p: float, n: float, z: float = stats.Z95) -> list[float] | None:
    """Wilson's interval for a share p at a (possibly fractional) sample size n."""
    if n <= 0:
        return None
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(max(p * (1 - p), 0.0) / n + z2 / (4 * n * n))
    return [max(0.0, centre - half), min(1.0, centre + half)]
