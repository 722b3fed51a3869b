"""The p-chart of CSAT: a centre line at the pooled share and limits p̄ ± 3·sqrt(p̄(1 - p̄)/n_i)
per period; a period outside its limits is flagged."""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.reporting.p_chart import ABOVE, BELOW, Sample, p_chart, pooled_share
from survey.reporting.p_chart_plot import p_chart_svg

WEEKS = [
    Sample("2026-W03", 15, 21),
    Sample("2026-W04", 16, 20),
    Sample("2026-W05", 2, 20),
    Sample("2026-W06", 17, 20),
]


def _limits_by_hand(yes_total: int, n_total: int, n: int) -> tuple[float, float]:
    """The limits computed apart: exact fractions, and the square root of the variance's
    numerator and denominator to 12 decimals with integer arithmetic."""
    p = Fraction(yes_total, n_total)
    variance = p * (1 - p) / n
    scale = 10**12
    root = Fraction(isqrt(variance.numerator * scale**2 // variance.denominator), scale)
    half = 3 * root
    return float(max(Fraction(0), p - half)), float(min(Fraction(1), p + half))


def test_the_centre_is_the_pooled_share_and_each_week_has_its_own_limits() -> None:
    chart = p_chart(WEEKS)
    assert chart.centre == pytest.approx(50 / 81)
    for point, sample in zip(chart.points, WEEKS, strict=True):
        lower, upper = _limits_by_hand(50, 81, sample.n)
        assert point.lower == pytest.approx(lower, abs=1e-9)
        assert point.upper == pytest.approx(upper, abs=1e-9)
        assert point.share == pytest.approx(sample.yes / sample.n)
    # Fewer answers (20 in W04 against 21 in W03), wider limits.
    widths = [p.upper - p.lower for p in chart.points]
    assert widths[1] > widths[0]


def test_a_week_out_of_control_is_flagged_and_the_others_are_not() -> None:
    chart = p_chart(WEEKS)
    assert [(p.label, p.outside) for p in chart.out_of_control] == [("2026-W05", BELOW)]
    high = p_chart([Sample("a", 25, 100), Sample("b", 25, 100), Sample("c", 60, 100)])
    assert [(p.label, p.outside) for p in high.out_of_control] == [("c", ABOVE)]


def test_a_given_centre_line_is_used_and_empty_periods_are_left_out() -> None:
    chart = p_chart([Sample("a", 3, 4), Sample("b", 0, 0)], centre=0.5)
    assert chart.centre == 0.5
    assert [p.label for p in chart.points] == ["a"]
    assert (chart.points[0].lower, chart.points[0].upper) == pytest.approx((0.0, 1.0))
    assert p_chart([]).centre is None
    assert pooled_share([Sample("a", 0, 0)]) is None


def test_at_a_centre_of_one_the_limits_close_and_any_lower_share_is_flagged() -> None:
    chart = p_chart([Sample("a", 5, 5), Sample("b", 4, 5)], centre=1.0)
    assert [(p.lower, p.upper) for p in chart.points] == [(1.0, 1.0), (1.0, 1.0)]
    assert [p.label for p in chart.out_of_control] == ["b"]


@given(
    st.lists(
        st.tuples(st.integers(0, 200), st.integers(1, 200)).map(
            lambda t: Sample("w", min(t), t[1])
        ),
        min_size=1,
        max_size=20,
    )
)
def test_limits_enclose_the_centre_within_zero_and_one(samples: list[Sample]) -> None:
    chart = p_chart(samples)
    assert chart.centre is not None
    for point in chart.points:
        assert 0.0 <= point.lower <= chart.centre <= point.upper <= 1.0
        assert (point.outside is None) == (point.lower <= point.share <= point.upper)


def test_the_svg_marks_the_week_out_of_control_as_a_square_with_its_text() -> None:
    svg = str(p_chart_svg("CSAT <team>", "desc", p_chart(WEEKS), outside_text="outside"))
    assert svg.count('class="dot flagged"') == 1
    assert svg.count('class="dot"') == 3
    assert "2026-W05: 10.0 % (n = 20), outside" in svg
    assert "<title>CSAT &lt;team&gt;</title>" in svg
    assert svg.count('class="limit"') == 2 and svg.count('class="centre"') == 1
