"""Small inline SVG charts for the HTML report: grouped bars with a legend, no script.

Geometry is float (it only places pixels); the values shown in labels and tooltips come
formatted from the exact amounts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from salesplan.escape import html as escape

WIDTH = 560
WIDE = 1136  # a chart across the page: two charts and the gap between them
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 34, 46  # margins around the plot area
CHAR_WIDTH = 6.4  # average width of an 11px label character, to shorten long labels
SLANTED = 18  # characters of a slanted category label at most


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # a class that sets the fill (see html.STYLE)
    values: Sequence[Decimal | None]


def short(value: float) -> str:
    """An axis label: 2.5M, 800k, 0."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.0f}"


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` gridlines."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _fit(label: str, room: float) -> str:
    chars = max(int(room / CHAR_WIDTH), 3)
    return label if len(label) <= chars else label[: chars - 1] + "…"


def bar_chart(
    label: str,
    categories: Sequence[str],
    series: Sequence[Series],
    exponent: int,
    unit: str,
    width: int = WIDTH,
) -> str:
    """Grouped vertical bars: one group per category, one bar per series. Category labels
    too long for their group are slanted (and only then shortened, to SLANTED characters)."""
    group = (width - LEFT - RIGHT) / max(len(categories), 1)
    slanted = any(len(c) * CHAR_WIDTH > group - 4 for c in categories)
    longest = min(max((len(c) for c in categories), default=0), SLANTED)
    height = HEIGHT + (round(longest * CHAR_WIDTH * 0.64) if slanted else 0)
    plot_h = HEIGHT - TOP - BOTTOM
    values = [float(v) for s in series for v in s.values if v is not None]
    step = nice_step(max([0.0, *values]))
    top = step * max(math.ceil(max([0.0, *values]) / step), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(label)}</title>",
    ]
    for n in range(round(top / step) + 1):
        tick = n * step
        y = TOP + plot_h - tick / top * plot_h
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{short(tick)}</text>"
        )
    bar = group * 0.76 / max(len(series), 1)
    for i, category in enumerate(categories):
        x0 = LEFT + i * group + group * 0.12
        for k, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            h = max(float(value), 0.0) / top * plot_h
            x = x0 + k * bar
            tip = f"{category}: {s.name} {value:,.{exponent}f} {unit}"
            parts.append(
                f'<rect class="{s.css}" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{bar * 0.9:.1f}" height="{h:.1f}" rx="1.5">'
                f"<title>{escape(tip)}</title></rect>"
            )
        cx, cy = LEFT + (i + 0.5) * group, TOP + plot_h + 18
        if slanted:
            room = min(SLANTED, int(cx / (CHAR_WIDTH * 0.77)))  # not past the left edge
            shown = category if len(category) <= room else category[: room - 1] + "…"
            parts.append(
                f'<text class="category" x="{cx:.1f}" y="{cy - 4}" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {cy - 4})">{escape(shown)}</text>'
            )
            continue
        parts.append(
            f'<text class="category" x="{cx:.1f}" y="{cy}" text-anchor="middle">'
            f"{escape(_fit(category, group - 4))}</text>"
        )
    parts.append(
        f'<line class="baseline" x1="{LEFT}" x2="{width - RIGHT}" '
        f'y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    parts.append(_legend(series))
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[Series]) -> str:
    items = []
    x = float(LEFT)
    for s in series:
        items.append(
            f'<rect class="{s.css}" x="{x:.1f}" y="10" width="11" height="11" rx="2"/>'
            f'<text class="legend" x="{x + 16:.1f}" y="20">{escape(s.name)}</text>'
        )
        x += 16 + len(s.name) * CHAR_WIDTH + 18
    return "".join(items)
