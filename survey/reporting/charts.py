"""Server-rendered SVG charts for the admin dashboard.

No script and no style attributes (the CSP forbids both): shapes carry classes that
survey/static/admin.css styles. Each chart has a title for screen readers, and the page puts
the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def _svg(title: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" focusable="false">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part is escaped


def _y_axis(low: float, high: float, ticks: Sequence[float], percent: bool) -> list[str]:
    parts = []
    plot_height = HEIGHT - TOP - BOTTOM
    for tick in ticks:
        y = TOP + plot_height * (1 - (tick - low) / (high - low))
        text = f"{tick * 100:.0f} %" if percent else f"{tick:g}"
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end">{text}</text>'
        )
    return parts


def _x_labels(labels: Sequence[str], xs: Sequence[float]) -> list[str]:
    step = max(1, len(labels) // 8)
    return [
        f'<text class="tick" x="{_fmt(x)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
        f"{escape(label)}</text>"
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % step == 0 or i == len(labels) - 1
    ]


def trend_chart(
    title: str,
    points: Sequence[Point],
    *,
    low: float = 0.0,
    high: float = 1.0,
    percent: bool = True,
    target: float | None = None,
    target_label: str = "",
) -> Markup:
    """A line over time with its interval as a shaded band; missing values break the line; a
    target, if given, as a dashed level line."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    count = max(len(points), 1)
    xs = [LEFT + plot_width * (i + 0.5) / count for i in range(len(points))]

    def y(value: float) -> float:
        clamped = min(max(value, low), high)
        return TOP + plot_height * (1 - (clamped - low) / (high - low))

    ticks = [low + (high - low) * i / 4 for i in range(5)]
    body = _y_axis(low, high, ticks, percent)
    for run in _runs(points, xs):
        banded = [(x, p) for x, p in run if p.low is not None and p.high is not None]
        if len(banded) > 1:
            upper = [f"{_fmt(x)},{_fmt(y(p.high))}" for x, p in banded]  # type: ignore[arg-type]
            lower = [f"{_fmt(x)},{_fmt(y(p.low))}" for x, p in reversed(banded)]  # type: ignore[arg-type]
            body.append(f'<polygon class="band" points="{" ".join(upper + lower)}"/>')
        line = " ".join(f"{_fmt(x)},{_fmt(y(p.value))}" for x, p in run)  # type: ignore[arg-type]
        if len(run) > 1:
            body.append(f'<polyline class="line" points="{line}"/>')
        for x, p in run:
            body.append(
                f'<circle class="dot" cx="{_fmt(x)}" cy="{_fmt(y(p.value))}" r="3">'  # type: ignore[arg-type]
                f"<title>{escape(p.label)}: {escape(_value_text(p.value, percent))}</title>"
                "</circle>"
            )
    if target is not None:
        level = _fmt(y(target))
        body.append(
            f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{level}" y2="{level}">'
            f"<title>{escape(target_label)} {escape(_value_text(target, percent))}</title></line>"
        )
    body += _x_labels([p.label for p in points], xs)
    return _svg(title, body)


def _runs(points: Sequence[Point], xs: Sequence[float]) -> list[list[tuple[float, Point]]]:
    runs: list[list[tuple[float, Point]]] = [[]]
    for x, point in zip(xs, points, strict=True):
        if point.value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, point))
    return [run for run in runs if run]


def _value_text(value: float | None, percent: bool) -> str:
    if value is None:
        return "-"
    if percent:
        return f"{value * 100:.1f} %"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float | None]],
    *,
    high: float | None = None,
    percent: bool = False,
    target: float | None = None,
    target_label: str = "",
) -> Markup:
    """Horizontal bars, one per label; a missing value (suppressed group) shows no bar; a
    target, if given, as a dashed line across the bars."""
    row = 26
    height = TOP + row * max(len(bars), 1) + 8
    label_width = 140
    plot_width = WIDTH - label_width - 80
    top = high or max([v for _, v in bars if v is not None] or [1.0]) or 1.0
    body = []
    for i, (label, value) in enumerate(bars):
        y = TOP + i * row
        body.append(
            f'<text class="tick" x="{label_width - 8}" y="{y + 16}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        if value is None:
            body.append(f'<text class="muted" x="{label_width}" y="{y + 16}">hidden</text>')
            continue
        width = plot_width * min(value, top) / top
        body.append(
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{_fmt(width)}" height="16"/>'
            f'<text class="value" x="{_fmt(label_width + width + 6)}" y="{y + 16}">'
            f"{escape(_value_text(value, percent))}</text>"
        )
    if target is not None:
        x = _fmt(label_width + plot_width * min(target, top) / top)
        body.append(
            f'<line class="target" x1="{x}" x2="{x}" y1="{TOP - 4}" y2="{height - 4}">'
            f"<title>{escape(target_label)} {escape(_value_text(target, percent))}</title></line>"
        )
    return _svg(title, body, height=height)
