"""Charts drawn as plain inline SVG at build time: horizontal bars, dots on
a date axis, columns. Each chart names itself for screen readers (role="img",
aria-label, <title>, <desc>); the data table beside it is the page's job.

Drawn in a 720-unit-wide viewBox and scaled to the page's width, so a chart
reads the same on a phone and on paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH = 720
LABEL = 200  # room for a row's label, left of the plot
PLOT = WIDTH - LABEL - 20
ROW = 22
LONGEST = 26  # characters of a label shown (at 12px they fit LABEL); the whole label is in its tooltip
KINDS = ("visit", "dialogue round", "meeting")


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: `outer` (light) with `inner` (dark) drawn over
    it, both against `full`, the amount the whole width stands for."""

    label: str
    outer: float
    inner: float
    full: float
    note: str
    track: bool = False  # draw the whole width too: a target to be reached


@dataclass(frozen=True)
class Dot:
    """Something that happened between `first` and `last` (one day, or the
    month or year a date is known to)."""

    first: date
    last: date
    kind: str  # one of KINDS
    label: str
    done: bool = True  # a planned meeting is drawn hollow


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    part: int  # how much of `value` is drawn dark (overdue, say)
    note: str


def chart(title: str, desc: str, height: float, body: Iterable[str]) -> str:
    """The <svg> element: scaled to the width it is given, named for screen readers."""
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def bars(title: str, desc: str, groups: Sequence[tuple[str, Sequence[Bar]]]) -> str:
    """Horizontal bars in groups, each group under its heading."""
    parts, y = [], 4.0
    for heading, rows in groups:
        parts.append(_text(4, y + 14, heading, "heading"))
        y += ROW
        for bar in rows:
            parts.append(_bar(bar, y))
            y += ROW + 12
        y += 6
    return chart(title, desc, y, parts)


def _bar(bar: Bar, y: float) -> str:
    """The bar, its label to the left and its note on a line below it."""
    scale = PLOT / bar.full if bar.full else 0.0
    parts = [_text(LABEL - 6, y + 14, _short(bar.label), "label end")]
    if bar.track:
        parts.append(_rect(LABEL, y + 3, PLOT, 14, "track"))
    # Clipped at the frame; the note says by how much it goes past it.
    parts.append(_rect(LABEL, y + 3, min(bar.outer * scale, PLOT), 14, "outer"))
    parts.append(_rect(LABEL, y + 7, min(bar.inner * scale, PLOT), 6, "inner"))
    if bar.outer * scale > PLOT:
        end = LABEL + PLOT
        parts.append(f'<path class="beyond" d="M{end - 6:.1f} {y + 3} l6 7 l-6 7 z"/>')
    parts.append(_text(LABEL, y + 30, bar.note, "note"))
    return f"<g><title>{escape(bar.label)}: {escape(bar.note)}</title>{''.join(parts)}</g>"


def dots(title: str, desc: str, lanes: Sequence[tuple[str, Sequence[Dot]]], start: date, end: date) -> str:
    """One lane per label, dots placed on a shared date axis with its years
    marked; a date known only to the month or year also shows its span."""
    days = max((end - start).days, 1)

    def x(day: date) -> float:
        return LABEL + PLOT * (day - start).days / days

    height = 40 + ROW * len(lanes)
    parts = [_legend()]
    for year in range(start.year + (start.month > 1 or start.day > 1), end.year + 1):
        at = x(date(year, 1, 1))
        parts.append(f'<line class="grid" x1="{at:.1f}" y1="24" x2="{at:.1f}" y2="{height - 14:.0f}"/>')
        parts.append(_text(at, height - 2, str(year), "axis middle"))
    for row, (label, lane) in enumerate(lanes):
        y = 34 + ROW * row
        parts.append(_text(LABEL - 6, y + 4, _short(label), "label end"))
        parts.append(f'<line class="lane" x1="{LABEL}" y1="{y}" x2="{LABEL + PLOT}" y2="{y}"/>')
        parts += (_dot(dot, x(dot.first), x(dot.last), y) for dot in lane)
    return chart(title, desc, height, parts)


def _dot(dot: Dot, first: float, last: float, y: float) -> str:
    middle = (first + last) / 2
    span = f'<line class="span" x1="{first:.1f}" y1="{y}" x2="{last:.1f}" y2="{y}"/>' if last - first > 2 else ""
    hollow = "" if dot.done else " hollow"
    return f"<g><title>{escape(dot.label)}</title>{span}{_mark(dot.kind, middle, y, hollow)}</g>"


def _mark(kind: str, x: float, y: float, hollow: str = "") -> str:
    """A shape per kind, so the kinds tell apart without colour (on paper)."""
    css = f"mark {kind.replace(' ', '-')}{hollow}"
    if kind == "visit":
        return f'<circle class="{css}" cx="{x:.1f}" cy="{y}" r="5"/>'
    if kind == "dialogue round":
        return f'<rect class="{css}" x="{x - 4.5:.1f}" y="{y - 4.5}" width="9" height="9"/>'
    return f'<path class="{css}" d="M{x:.1f} {y - 6}l6 6l-6 6l-6 -6z"/>'


def _legend() -> str:
    parts, x = [], float(LABEL)
    for kind in KINDS:
        parts += [_mark(kind, x + 6, 10), _text(x + 16, 14, kind, "note")]
        x += 130
    parts += [_mark("meeting", x + 6, 10, " hollow"), _text(x + 16, 14, "meeting planned", "note")]
    return "".join(parts)


def columns(title: str, desc: str, cols: Sequence[Column]) -> str:
    """Vertical columns, one per label, the dark `part` at the bottom of each."""
    top, plot_height = 16.0, 160.0
    most = max((col.value for col in cols), default=0) or 1
    step = (WIDTH - 110) / max(len(cols), 1)  # room on the right for the last slanted label
    width = min(step * 0.7, 48)
    parts = [f'<line class="grid" x1="40" y1="{top + plot_height}" x2="{WIDTH - 10}" y2="{top + plot_height}"/>']
    for i, col in enumerate(cols):
        x = 44 + step * i + (step - width) / 2
        height, dark = plot_height * col.value / most, plot_height * col.part / most
        base = top + plot_height
        parts.append(
            f"<g><title>{escape(col.label)}: {escape(col.note)}</title>"
            f"{_rect(x, base - height, width, height, 'outer')}{_rect(x, base - dark, width, dark, 'overdue')}"
            f"{_text(x + width / 2, base - height - 3, str(col.value), 'note middle')}"
            f'<text class="axis" transform="translate({x + width / 2:.1f} {base + 8}) rotate(60)">'
            f"{escape(col.label)}</text></g>"
        )
    return chart(title, desc, top + plot_height + 70, parts)


@dataclass(frozen=True)
class Point:
    """A figure at the last day of its period (a baseline: of its date)."""

    day: date
    value: float
    label: str


def trend(
    title: str, desc: str, actuals: Sequence[Point], baseline: Point | None = None, target: Point | None = None
) -> str:
    """An indicator's actuals over time, joined by a line; its baseline (a
    hollow diamond) and target (an outlined square), and the straight line
    from one to the other, dashed: what being on track means."""
    top, height = 24.0, 120.0
    points = [*actuals, *(p for p in (baseline, target) if p is not None)]
    if not points:
        return chart(title, desc, top + height + 24, [_text(LABEL, top + 20, "No figure yet", "note")])
    start, end = min(p.day for p in points), max(p.day for p in points)
    days = max((end - start).days, 1)
    low, high = min(min(p.value for p in points), 0.0), max(p.value for p in points)
    spread = (high - low) or 1.0

    def at(point: Point) -> tuple[float, float]:
        x = LABEL + PLOT * (point.day - start).days / days
        return x, top + height - height * (point.value - low) / spread

    parts = [
        f'<line class="grid" x1="{LABEL}" y1="{top + height}" x2="{LABEL + PLOT}" y2="{top + height}"/>',
        _text(LABEL - 6, top + 4, _figure(high), "axis end"),
        _text(LABEL - 6, top + height + 4, _figure(low), "axis end"),
    ]
    for year in range(start.year + (start.month > 1 or start.day > 1), end.year + 1):
        x, _ = at(Point(date(year, 1, 1), low, ""))
        parts.append(_text(x, top + height + 18, str(year), "axis middle"))
    if baseline is not None and target is not None:
        (x1, y1), (x2, y2) = at(baseline), at(target)
        parts.append(f'<line class="track" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
    if len(actuals) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(at, actuals))
        parts.append(f'<polyline class="trend" points="{line}"/>')
    for point in actuals:
        x, y = at(point)
        parts.append(
            f'<g><title>{escape(point.label)}</title><circle class="mark actual" cx="{x:.1f}" cy="{y:.1f}" r="4"/></g>'
        )
    if baseline is not None:
        x, y = at(baseline)
        parts.append(f"<g><title>{escape(baseline.label)}</title>{_mark('meeting', x, y, ' hollow')}</g>")
    if target is not None:
        x, y = at(target)
        parts.append(f"<g><title>{escape(target.label)}</title>{_rect(x - 5, y - 5, 10, 10, 'track')}</g>")
    return chart(title, desc, top + height + 24, parts)


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:g}"


def _short(label: str) -> str:
    return label if len(label) <= LONGEST else label[: LONGEST - 1] + "\u2026"


def _rect(x: float, y: float, width: float, height: float, css: str) -> str:
    return f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}"/>'


def _text(x: float, y: float, text: str, css: str) -> str:
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}">{escape(text)}</text>'
