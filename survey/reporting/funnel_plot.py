"""A funnel plot of one fairness measure, server-rendered SVG like survey.reporting.charts.

x is a unit's denominator, y its rate; the centre line is the whole organisation's rate p0 and
the funnel its control limits p0 +- 3.09 sqrt(p0 (1 - p0) / n), narrowing as n grows. One point
per unit; a flagged unit is a larger square rather than a dot (not colour alone). The SVG has a
title and a description; the page's table is its text alternative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from survey.reporting.steering import Z_LIMIT, control_limits

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
STEPS = 80


@dataclass(frozen=True)
class UnitPoint:
    label: str
    den: int
    rate: float
    flagged: bool


def _f(x: float) -> str:
    return f"{x:.1f}"


def _y_high(p0: float | None, points: Sequence[UnitPoint], smallest: int) -> float:
    """The top of the y axis: the highest rate or limit shown, rounded up to a tenth."""
    highest = max([p.rate for p in points] + [0.05])
    limits = control_limits(p0, max(smallest, 1))
    if limits is not None:
        highest = max(highest, limits[1])
    return min(1.0, -(-highest * 10 // 1) / 10 or 0.1)


def funnel_plot(
    title: str,
    description: str,
    p0: float | None,
    points: Sequence[UnitPoint],
    *,
    x_label: str,
    flagged_text: str,
) -> Markup:
    """The plot of one measure: p0, its limit curves and the units' (den, rate) points."""
    x_high = max([p.den for p in points] + [10]) * 1.05
    smallest = min([p.den for p in points] + [10])
    y_high = _y_high(p0, points, smallest)

    def x(n: float) -> float:
        return LEFT + PLOT_W * n / x_high

    def y(rate: float) -> float:
        return TOP + PLOT_H * (1 - min(rate, y_high) / y_high)

    body: list[str] = []
    for i in range(5):
        tick = y_high * i / 4
        body.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y(tick))}" '
            f'y2="{_f(y(tick))}"/><text class="tick" x="{LEFT - 6}" y="{_f(y(tick) + 4)}" '
            f'text-anchor="end">{tick * 100:.0f} %</text>'
        )
        n = x_high * i / 4
        body.append(
            f'<text class="tick" x="{_f(x(n))}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{n:.0f}</text>'
        )
    body.append(
        f'<text class="tick" x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    if p0 is not None:
        body.append(
            f'<line class="centre" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y(p0))}" '
            f'y2="{_f(y(p0))}"/>'
        )
        body += _limit_curves(p0, x_high, x, y)
    for p in points:
        tip = f"<title>{escape(p.label)}: {p.rate * 100:.1f} % (n = {p.den})"
        tip += f", {escape(flagged_text)}</title>" if p.flagged else "</title>"
        cx, cy = x(p.den), y(p.rate)
        if p.flagged:
            body.append(
                f'<rect class="dot flagged" x="{_f(cx - 5)}" y="{_f(cy - 5)}" width="10" '
                f'height="10">{tip}</rect>'
            )
        else:
            body.append(f'<circle class="dot" cx="{_f(cx)}" cy="{_f(cy)}" r="3.5">{tip}</circle>')
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart funnel" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" focusable="false" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"<desc>{escape(description)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part is escaped


def _limit_curves(
    p0: float, x_high: float, x: Callable[[float], float], y: Callable[[float], float]
) -> list[str]:
    lows, highs = [], []
    for step in range(1, STEPS + 1):
        n = max(1.0, x_high * step / STEPS)
        half = Z_LIMIT * (p0 * (1 - p0) / n) ** 0.5
        lows.append(f"{_f(x(n))},{_f(y(max(0.0, p0 - half)))}")
        highs.append(f"{_f(x(n))},{_f(y(min(1.0, p0 + half)))}")
    return [
        f'<polyline class="limit" points="{" ".join(lows)}"/>',
        f'<polyline class="limit" points="{" ".join(highs)}"/>',
    ]
