"""The p-chart drawn as SVG, like survey.reporting.charts: no script, no style attributes.

One point per week or month; the centre line is the pooled CSAT, the dashed steps each period's
control limits. A point outside its limits is a larger square (not colour alone); the page's
table beside the chart is its text alternative.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from survey.reporting.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH
from survey.reporting.p_chart import PChart

PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _f(x: float) -> str:
    return f"{x:.1f}"


def _y(share: float) -> float:
    return TOP + PLOT_H * (1 - min(max(share, 0.0), 1.0))


def p_chart_svg(title: str, description: str, chart: PChart, *, outside_text: str) -> Markup:
    """The chart's SVG; `outside_text` is said in each out-of-control point's tooltip."""
    count = max(len(chart.points), 1)
    step = PLOT_W / count
    body: list[str] = []
    for i in range(5):
        y = _y(i / 4)
        body.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y)}" y2="{_f(y)}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{_f(y + 4)}" text-anchor="end">'
            f"{i * 25} %</text>"
        )
    if chart.centre is not None:
        y = _y(chart.centre)
        body.append(
            f'<line class="centre" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_f(y)}" y2="{_f(y)}"/>'
        )
    lows, highs = [], []
    for i, point in enumerate(chart.points):
        x0, x1 = LEFT + step * i, LEFT + step * (i + 1)
        lows += [f"{_f(x0)},{_f(_y(point.lower))}", f"{_f(x1)},{_f(_y(point.lower))}"]
        highs += [f"{_f(x0)},{_f(_y(point.upper))}", f"{_f(x1)},{_f(_y(point.upper))}"]
    for line in (lows, highs):
        if line:
            body.append(f'<polyline class="limit" points="{" ".join(line)}"/>')
    label_every = max(1, count // 8)
    for i, point in enumerate(chart.points):
        cx, cy = LEFT + step * (i + 0.5), _y(point.share)
        tip = f"<title>{escape(point.label)}: {point.share * 100:.1f} % (n = {point.n})"
        tip += f", {escape(outside_text)}</title>" if point.outside else "</title>"
        if point.outside:
            body.append(
                f'<rect class="dot flagged" x="{_f(cx - 5)}" y="{_f(cy - 5)}" width="10" '
                f'height="10">{tip}</rect>'
            )
        else:
            body.append(f'<circle class="dot" cx="{_f(cx)}" cy="{_f(cy)}" r="3.5">{tip}</circle>')
        if i % label_every == 0 or i == count - 1:
            body.append(
                f'<text class="tick" x="{_f(cx)}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(point.label)}</text>'
            )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart p-chart" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" focusable="false" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"<desc>{escape(description)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part is escaped
