"""The results report: each indicator's baseline, target and latest actual,
how far it has come from its baseline towards its target, and whether that
is on track; every figure standing, and the earlier versions of restated or
corrected figures. Read from the results view on its two time axes:
`known_at` (the figures as recorded by a moment) and `as_of` (the actual
figures of periods ended by a day)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.tracking import DEFAULT_MARGIN, on_track
from workflows.base.failures import BadInput
from workflows.projections.results.queries import Figure, Version
from workflows.reports.model import Report, Table
from workflows.reports.numbers import Quantity, Ratio

RATIO = Decimal("0.0001")
APPROXIMATE = {"about": "about ", "at_least": "at least ", "at_most": "at most "}

INDICATOR_COLUMNS = [
    *("indicator", "title", "unit", "baseline", "baseline_on", "target", "target_period"),
    *("latest", "latest_period", "latest_approximation", "progress", "expected", "status"),
]
FIGURE_COLUMNS = [
    *("indicator", "kind", "period", "breakdown", "value", "approximation", "source", "recorded_at"),
    "earlier_versions",
]
EARLIER_COLUMNS = [
    *("indicator", "kind", "period", "breakdown", "value", "approximation", "recorded_at", "replaced", "on"),
    "reason",
]


@dataclass(frozen=True)
class Progress:
    """How far an indicator has come: the share of the way from baseline to
    target its latest actual stands at, the share the straight line from
    the baseline's date to the target's end expects by the actual's end,
    and a status: on track, off track, or why neither can be said."""

    done: Decimal | None
    expected: Decimal | None
    status: str


def progress(
    baseline: Figure | None, target: Figure | None, latest: Figure | None, margin: int = DEFAULT_MARGIN
) -> Progress:
    if latest is None:
        return Progress(None, None, "no actual yet")
    if baseline is None:
        return Progress(None, None, "no baseline")
    if target is None:
        return Progress(None, None, "no target")
    if target.value == baseline.value:
        return Progress(None, None, "target equals baseline")
    done = ((latest.value - baseline.value) / (target.value - baseline.value)).quantize(RATIO)
    whole = (target.last_day - baseline.last_day).days
    elapsed = (latest.last_day - baseline.last_day).days
    expected = Decimal(min(max(elapsed, 0), whole) / whole if whole > 0 else 1).quantize(RATIO)
    return Progress(done, expected, "on track" if on_track(done, expected, margin) else "off track")


def results_report(
    reader: Any,
    *,
    partner: str | None = None,
    known_at: datetime | None = None,
    as_of: date | None = None,
    margin: int = DEFAULT_MARGIN,
) -> Report:
    """The report of the portfolio's indicators and every partnership's (one
    partnership's only: `partner`, a code such as TN), from the results view
    as it stands (refresh first). `margin`: how many points behind the
    straight line an indicator may be and still be on track (the rules'
    `off_track_margin`)."""
    if partner is not None:
        partner = partner.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", partner):
            raise BadInput(f"--partner names a partnership by its two-letter code, e.g. TN; got {partner[:40]!r}")
    indicators = reader.results.indicators(partner, known_at)
    figures = reader.results.figures([row["indicator"] for row in indicators], known_at=known_at, as_of=as_of)
    rows, standing, earlier = [], [], []
    for row in indicators:
        found = figures[row["indicator"]]
        rows.append(_indicator_row(row, found, margin))
        standing += [_figure_row(row, figure) for figure in found]
        earlier += [_earlier_row(row, figure, version) for figure in found for version in figure.earlier]
    on_track = sum(row["status"] == "on track" for row in rows)
    off_track = sum(row["status"] == "off track" for row in rows)
    return Report(
        title=f"Results of {partner}" if partner else "Results of the portfolio",
        subtitle=_rule(known_at, as_of, margin),
        figures={"indicators": len(rows), "on track": on_track, "off track": off_track},
        tables=[
            Table("Indicators", INDICATOR_COLUMNS, rows, optional=["latest_approximation", "baseline_on", "expected"]),
            Table("Figures", FIGURE_COLUMNS, standing, optional=["approximation", "source", "recorded_at"]),
            Table("Earlier versions (restated, corrected or retracted)", EARLIER_COLUMNS, earlier),
        ],
    )


def latest_actual(figures: list[Figure]) -> Figure | None:
    """The whole (not broken down) actual of the period that ends last; of
    two ending together, the longer."""
    whole = [figure for figure in figures if figure.kind == "actual" and not figure.breakdown]
    return max(whole, key=lambda figure: (figure.last_day, -figure.first_day.toordinal()), default=None)


def final_target(figures: list[Figure]) -> Figure | None:
    """The target of the period that ends last: where the indicator should end up."""
    targets = [figure for figure in figures if figure.kind == "target" and not figure.breakdown]
    return max(targets, key=lambda figure: figure.last_day, default=None)


def _indicator_row(row: dict[str, Any], figures: list[Figure], margin: int) -> dict[str, Any]:
    baseline = next((figure for figure in figures if figure.kind == "baseline"), None)
    target, latest = final_target(figures), latest_actual(figures)
    made = progress(baseline, target, latest, margin)
    return {
        "indicator": row["indicator"],
        "title": row["title"],
        "unit": row["currency"] if row["unit"] == "money" else row["unit"],
        "baseline": _value(row, baseline) if baseline else None,
        "baseline_on": baseline.period if baseline else None,
        "target": _value(row, target) if target else None,
        "target_period": target.period if target else None,
        "latest": _value(row, latest) if latest else None,
        "latest_period": latest.period if latest else None,
        "latest_approximation": latest.approximation if latest else None,
        "progress": Ratio(made.done) if made.done is not None else None,
        "expected": Ratio(made.expected) if made.expected is not None else None,
        "status": made.status,
    }


def _figure_row(row: dict[str, Any], figure: Figure) -> dict[str, Any]:
    return {
        "indicator": row["indicator"],
        "kind": figure.kind,
        "period": figure.period,
        "breakdown": ", ".join(figure.breakdown) or "whole",
        "value": _value(row, figure),
        "approximation": figure.approximation,
        "source": figure.source,
        "recorded_at": _moment(figure.recorded_at),
        "earlier_versions": len(figure.earlier),
    }


def _earlier_row(row: dict[str, Any], figure: Figure, version: Version) -> dict[str, Any]:
    return {
        "indicator": row["indicator"],
        "kind": figure.kind,
        "period": figure.period,
        "breakdown": ", ".join(figure.breakdown) or "whole",
        "value": _said(row, version.value, version.approximation),
        "approximation": version.approximation,
        "recorded_at": _moment(version.recorded_at),
        "replaced": version.replaced,
        "on": _moment(version.on) if version.on else None,
        "reason": version.reason,
    }


def _value(row: dict[str, Any], figure: Figure) -> Quantity:
    return _said(row, figure.value, figure.approximation)


def _said(row: dict[str, Any], value: Decimal, approximation: str) -> Quantity:
    """A figure in its unit, its precision said for people ("at least
    13,000", "10%", "EUR 8,000,000,000"); its number alone for machines."""
    before = APPROXIMATE.get(approximation, "")
    if row["unit"] == "money":
        before += f"{row['currency']} "
    return Quantity(value, before, "%" if row["unit"] == "percentage" else "")


def _moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _rule(known_at: datetime | None, as_of: date | None, margin: int) -> str:
    said = "As recorded now" if known_at is None else f"As known at {_moment(known_at)} (what had been recorded then)"
    if as_of is not None:
        said += f", actual figures of periods ended by {as_of}"
    return (
        said + ". Progress is the share of the way from baseline to the last target its latest whole actual "
        "stands at; expected is the share of the time from the baseline's date to the target's end that the "
        f"actual's period has covered; on track when progress is no more than {margin} points "
        "behind expected. Shares are percentages here and fractions in JSON and CSV."
    )
