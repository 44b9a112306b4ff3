"""Server-rendered inline SVG charts (no JavaScript): bars for one series, lines for several.

Accessible: role="img" with <title> and <desc>; every chart is shown next to a data table
(the template's job) and never relies on colour alone (series also differ by marker and dash).
Missing (suppressed) values are gaps, never zeros.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
COLOURS = ["#1d4ed8", "#b45309", "#047857", "#7c3aed"]
DASHES = ["", "6 3", "2 3", "8 3 2 3"]
MARKERS = ["circle", "square", "diamond", "triangle"]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5:.1f}L{x - 5:.1f} {y:.1f}Z" fill="{colour}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 4:.1f}L{x - 5:.1f} {y + 4:.1f}Z" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'


def svg_chart(
    categories: list[str], series: dict[str, list[float | None]], *, title: str, desc: str, unit: str = ""
) -> SafeString:
    """A bar chart (one series) or a line chart (several) as inline SVG markup."""
    values = [v for values in series.values() for v in values if v is not None]
    uid = abs(hash((title, tuple(categories)))) % 10**8
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-{uid}-t chart-{uid}-d" width="{WIDTH}" height="{HEIGHT}">'
        f'<title id="chart-{uid}-t">{escape(title)}</title><desc id="chart-{uid}-d">{escape(desc)}</desc>'
    )
    if not categories or not values:
        return mark_safe(head + f'<text x="{LEFT}" y="{HEIGHT / 2}">—</text></svg>')
    top = max(values) * 1.1 or 1.0
    bottom = min(0.0, min(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(categories)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - bottom) / (top - bottom))

    parts = [head, '<g font-size="11" fill="#333">']
    for i in range(5):
        tick = bottom + (top - bottom) * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_fmt(tick)}{escape(unit)}</text>'
        )
    label_every = max(1, len(categories) // 12)
    for i, label in enumerate(categories):
        if i % label_every == 0:
            x = LEFT + step * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    if len(series) == 1:
        [(name, data)] = series.items()
        for i, value in enumerate(data):
            if value is None:
                continue
            x = LEFT + step * i + step * 0.15
            parts.append(
                f'<rect x="{x:.1f}" y="{y(max(value, 0)):.1f}" width="{step * 0.7:.1f}" '
                f'height="{abs(y(value) - y(0)):.1f}" fill="{COLOURS[0]}"><title>{escape(categories[i])} : '
                f"{_fmt(value)}{escape(unit)}</title></rect>"
            )
    else:
        for k, (name, data) in enumerate(series.items()):
            colour, dash, marker = COLOURS[k % 4], DASHES[k % 4], MARKERS[k % 4]
            segment: list[str] = []
            for i, value in enumerate([*data, None]):
                if value is None:
                    if len(segment) > 1:
                        parts.append(
                            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                            f'stroke-dasharray="{dash}" points="{" ".join(segment)}"/>'
                        )
                    segment = []
                    continue
                x = LEFT + step * (i + 0.5)
                segment.append(f"{x:.1f},{y(value):.1f}")
                parts.append(_marker(marker, x, y(value), colour))
            lx = LEFT + 10 + k * 150
            parts.append(_marker(marker, lx, HEIGHT - 12, colour))
            parts.append(f'<text x="{lx + 9}" y="{HEIGHT - 8}">{escape(name)}</text>')
    parts.append("</g></svg>")
    return mark_safe("".join(parts))
