"""The overview's chart: referees, redemptions and rewards per day (or week) as an inline SVG string, built on the
server so the page needs no chart library and no JavaScript.

A pure function of the series: three lines, each with its own colour (the badge colours, over 7:1 on the chart's
white ground), dash pattern and marker shape so they stay apart without colour; an x axis of dates, a y axis with
"nice" ticks (1, 2 or 5 × 10ⁿ), a legend, and role="img" labelled by the SVG's <title> and <desc>. Every text that
goes into it is escaped. The same numbers are also given as a table under the chart (templates/campaign.html).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 60, 18, 44, 48
MAX_X_LABELS = 7
TARGET_TICKS = 5


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    colour: str
    dash: str
    marker: str  # "circle", "square" or "diamond"


LINES = (
    Line("referees", "Referees", "#1d3f73", "", "circle"),
    Line("redemptions_succeeded", "Redemptions", "#14532d", "6 3", "square"),
    Line("rewards_created", "Rewards", "#7a1a14", "2 3", "diamond"),
)


def nice_ticks(top: int, wanted: int = TARGET_TICKS) -> list[int]:
    """0 and round steps (1, 2 or 5 × 10ⁿ, at least 1) up to the first at or above `top`; [0, 1] for nothing."""
    if top <= 0:
        return [0, 1]
    rough = top / wanted
    magnitude = 10 ** math.floor(math.log10(rough)) if rough > 1 else 1
    step = next(multiple * magnitude for multiple in (1, 2, 5, 10) if multiple * magnitude >= rough)
    return [n * step for n in range(math.ceil(top / step) + 1)]


def line_chart(series: Sequence[dict], *, title: str, interval: str = "day", chart_id: str = "chart") -> Markup:
    """The SVG of `series` (points with "date" and each line's key), titled `title`; safe to put in a page."""
    ticks = nice_ticks(max((point[line.key] for point in series for line in LINES), default=0))
    plot = _Plot(len(series), ticks[-1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_description(series, interval))}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        *_y_axis(plot, ticks),
        *_x_axis(plot, series, interval),
        *_legend(),
    ]
    if series:
        parts += [_line(plot, series, line) for line in LINES]
    else:
        parts.append(
            f'<text x="{LEFT + plot.width / 2}" y="{TOP + plot.height / 2}" text-anchor="middle" fill="#333333"'
            ' font-size="14">No days in this window yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class _Plot:
    points: int
    top: int

    @property
    def width(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def height(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def x(self, index: int) -> float:
        if self.points <= 1:
            return LEFT + self.width / 2
        return round(LEFT + self.width * index / (self.points - 1), 1)

    def y(self, value: int) -> float:
        return round(TOP + self.height * (1 - value / self.top), 1)


def _y_axis(plot: _Plot, ticks: list[int]) -> list[str]:
    parts = ['<g class="y-axis" font-size="14" fill="#333333" text-anchor="end">']
    for tick in ticks:
        y = plot.y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="#d0d4da" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4}">{tick:,}</text>')
    parts.append("</g>")
    return parts


def _x_axis(plot: _Plot, series: Sequence[dict], interval: str) -> list[str]:
    baseline = TOP + plot.height
    parts = [
        '<g class="x-axis" font-size="14" fill="#333333" text-anchor="middle">',
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{baseline}" y2="{baseline}" stroke="#333333" stroke-width="1"/>',
    ]
    every = max(1, math.ceil(len(series) / MAX_X_LABELS))
    for index in range(0, len(series), every):
        label = _short_date(series[index]["date"])
        parts.append(f'<text x="{plot.x(index)}" y="{baseline + 20}">{escape(label)}</text>')
    unit = "Week starting" if interval == "week" else "Day (UTC)"
    parts.append(f'<text x="{LEFT + plot.width / 2}" y="{HEIGHT - 6}">{escape(unit)}</text>')
    parts.append("</g>")
    return parts


def _legend() -> list[str]:
    parts = ['<g class="legend" font-size="15" fill="#333333">']
    x = LEFT
    for line in LINES:
        parts.append(
            f'<line x1="{x}" x2="{x + 24}" y1="16" y2="16" stroke="{line.colour}" stroke-width="2.5"'
            f"{_dash(line)}/>{_marker(line, x + 12, 16)}"
        )
        parts.append(f'<text x="{x + 30}" y="21">{escape(line.label)}</text>')
        x += 30 + 9 * len(line.label) + 32
    parts.append("</g>")
    return parts


def _line(plot: _Plot, series: Sequence[dict], line: Line) -> str:
    coordinates = [(plot.x(index), plot.y(point[line.key])) for index, point in enumerate(series)]
    path = " ".join(f"{x},{y}" for x, y in coordinates)
    markers = "".join(_marker(line, x, y) for x, y in coordinates) if len(coordinates) <= 45 else ""
    return (
        f'<g class="series" aria-hidden="true"><polyline points="{path}" fill="none" stroke="{line.colour}"'
        f' stroke-width="2.5"{_dash(line)}/>{markers}</g>'
    )


def _dash(line: Line) -> str:
    return f' stroke-dasharray="{line.dash}"' if line.dash else ""


def _marker(line: Line, x: float, y: float) -> str:
    if line.marker == "circle":
        return f'<circle cx="{x}" cy="{y}" r="3.5" fill="{line.colour}"/>'
    if line.marker == "square":
        return f'<rect x="{x - 3.5}" y="{y - 3.5}" width="7" height="7" fill="{line.colour}"/>'
    return f'<path d="M{x},{y - 4.5} L{x + 4.5},{y} L{x},{y + 4.5} L{x - 4.5},{y} Z" fill="{line.colour}"/>'


def _short_date(iso_day: str) -> str:
    day = date.fromisoformat(iso_day)
    return f"{day.strftime('%b')} {day.day}"


def _description(series: Sequence[dict], interval: str) -> str:
    if not series:
        return "No days in this window yet."
    per = "week" if interval == "week" else "day"
    totals = ", ".join(f"{sum(point[line.key] for point in series):,} {line.label.lower()}" for line in LINES)
    return (
        f"Per {per} from {series[0]['date']} to {series[-1]['date']}: {totals} in all. The table below has every value."
    )
