"""What is asked of the results view: the indicators, and their figures on
two time axes. `known_at`: the figures as they had been recorded by that
moment (later reports, restatements, corrections and retractions left
out); `as_of`: only the actual figures of periods that had ended by that
day. Each figure standing comes with the versions it replaced: an earlier
report of the same period and breakdown (restated), or its own value before
a correction, or a figure retracted, each with when and why."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from workflows.projections.base import Queries

DEFINITION_COLUMNS = (
    *("indicator", "scope", "title", "unit", "currency", "direction", "disaggregations", "source"),
    *("cadence", "owner", "level", "measures_initiative", "measures_funding", "pillars", "defined_on"),
    "recorded_at",
)
FIGURE_COLUMNS = (
    *("position", "indicator", "kind", "key", "period", "first_day", "last_day", "breakdown", "value"),
    *("approximation", "source", "occurred_on", "recorded_at", "actor"),
)
AMENDMENT_COLUMNS = ("position", "indicator", "target", "changes", "reason", "recorded_at", "actor")
# Where a correction's changes, as the view keeps them, hold the first and
# last day of a period or baseline date it changes: read without the domain.
DAYS = "_days"


def figures_table(table: str) -> str:
    """The table of every figure reported that goes with the indicators' table."""
    return f"{table}_figures"


def amendments_table(table: str) -> str:
    """The table of the corrections and retractions of figures."""
    return f"{table}_amendments"


@dataclass(frozen=True)
class Version:
    """A value a figure had, and how it stopped standing: `replaced` says
    by what ("restated", "corrected", "retracted"), `on` when, `reason` why
    (a correction's or retraction's)."""

    value: Decimal
    approximation: str
    source: str
    recorded_at: datetime
    replaced: str = ""
    on: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure standing: a baseline, a target, or an actual, for its
    period (a baseline: the date it was measured on) and its breakdown
    (none: the whole), with what it replaced, oldest first."""

    indicator: str
    kind: str
    period: str
    first_day: date
    last_day: date
    breakdown: tuple[str, ...]
    value: Decimal
    approximation: str
    source: str
    recorded_at: datetime
    key: str
    earlier: tuple[Version, ...] = field(default=())


class ResultQueries(Queries):
    view = "results"

    def indicators(self, partner: str | None = None, known_at: datetime | None = None) -> list[dict[str, Any]]:
        """Every indicator defined (by `known_at`, if given; a partner's
        only, if given), by scope (the portfolio's first) and code."""
        where, args = ("WHERE scope = ?", (partner,)) if partner else ("", ())
        order = "ORDER BY scope <> 'portfolio', scope, indicator"
        rows = self.db.query(f"SELECT * FROM {self.table} {where} {order}", args)
        return [{**row, "disaggregations": json.loads(row["disaggregations"])} for row in rows if _seen(row, known_at)]

    def figures(
        self, indicators: list[str], *, known_at: datetime | None = None, as_of: date | None = None
    ) -> dict[str, list[Figure]]:
        """The figures standing of each indicator, as known at `known_at`
        (default: now), of periods ended by `as_of` for actuals (default:
        every period), by kind, period and breakdown."""
        found: dict[str, list[Figure]] = {name: [] for name in indicators}
        if not indicators:
            return found
        marks = ", ".join("?" * len(indicators))
        rows = self.db.query(
            f"SELECT * FROM {figures_table(self.table)} WHERE indicator IN ({marks}) ORDER BY position", indicators
        )
        amendments = self.db.query(
            f"SELECT * FROM {amendments_table(self.table)} WHERE indicator IN ({marks}) ORDER BY position", indicators
        )
        for figure in standing(rows, amendments, known_at):
            if as_of is None or figure.kind != "actual" or figure.last_day <= as_of:
                found[figure.indicator].append(figure)
        return found


def standing(
    rows: list[dict[str, Any]], amendments: list[dict[str, Any]], known_at: datetime | None = None
) -> list[Figure]:
    """The figures standing after every report, restatement, correction and
    retraction recorded by `known_at`, each with the versions it replaced:
    within a period and breakdown, the last reported (or corrected into
    it) stands."""
    known = [row for row in rows if _seen(row, known_at)]
    fixes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for amendment in amendments:
        if _seen(amendment, known_at):
            fixes.setdefault((amendment["indicator"], amendment["target"]), []).append(amendment)
    slots: dict[tuple[str, str, str, tuple[str, ...]], list[Figure]] = {}
    retracted: list[tuple[Figure, Version]] = []
    for row in known:
        figure, gone = _amended(_figure(row), fixes.get((row["indicator"], row["key"]), []))
        if gone is not None:
            retracted.append((figure, gone))
            continue
        slot = (figure.indicator, figure.kind, "" if figure.kind == "baseline" else figure.period, figure.breakdown)
        slots.setdefault(slot, []).append(figure)
    for figure, gone in retracted:
        slot = (figure.indicator, figure.kind, "" if figure.kind == "baseline" else figure.period, figure.breakdown)
        if slot in slots:
            # Shown beside what now stands for its period, in the order recorded.
            last = slots[slot][-1]
            slots[slot][-1] = replace(last, earlier=tuple(sorted((*last.earlier, gone), key=_when)))
    figures = []
    for reported in slots.values():
        # The last said of a period stands: a figure corrected into it is said when corrected.
        ordered = sorted(reported, key=lambda figure: figure.recorded_at)
        *before, last = ordered
        # Each restated when the next figure of its period was said.
        earlier = [
            version
            for figure, then in zip(before, ordered[1:], strict=True)
            for version in (*figure.earlier, _version(figure, "restated", then.recorded_at, ""))
        ]
        figures.append(replace(last, earlier=tuple(sorted((*earlier, *last.earlier), key=_when))))
    return sorted(figures, key=lambda f: (f.indicator, f.kind, f.first_day, f.last_day, f.breakdown))


def _when(version: Version) -> datetime:
    return version.on or version.recorded_at


def _seen(row: dict[str, Any], known_at: datetime | None) -> bool:
    return known_at is None or datetime.fromisoformat(row["recorded_at"]) <= known_at


def _figure(row: dict[str, Any]) -> Figure:
    return Figure(
        indicator=row["indicator"],
        kind=row["kind"],
        period=row["period"],
        first_day=date.fromisoformat(row["first_day"]),
        last_day=date.fromisoformat(row["last_day"]),
        breakdown=tuple(json.loads(row["breakdown"])),
        value=Decimal(row["value"]),
        approximation=row["approximation"],
        source=row["source"],
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        key=row["key"],
    )


def _version(figure: Figure, replaced: str, on: datetime, reason: str) -> Version:
    return Version(figure.value, figure.approximation, figure.source, figure.recorded_at, replaced, on, reason)


def _amended(figure: Figure, fixes: list[dict[str, Any]]) -> tuple[Figure, Version | None]:
    """The figure as its amendments left it, its values before each
    correction kept; a retraction: the figure and its last version, retracted."""
    earlier: list[Version] = []
    for fix in fixes:
        on = datetime.fromisoformat(fix["recorded_at"])
        if fix["changes"] is None:
            return replace(figure, earlier=tuple(earlier)), _version(figure, "retracted", on, fix["reason"])
        earlier.append(_version(figure, "corrected", on, fix["reason"]))
        figure = _changed(figure, json.loads(fix["changes"]), on)
    return replace(figure, earlier=tuple(earlier)), None


def _changed(figure: Figure, changes: dict[str, Any], on: datetime) -> Figure:
    """A figure with a correction's changes: a value, a period, a breakdown,
    its precision or source; standing from the moment of the correction."""
    changed = replace(figure, recorded_at=on)
    if "value" in changes:
        changed = replace(changed, value=Decimal(str(changes["value"]).replace(",", "")))
    if "approximation" in changes:
        changed = replace(changed, approximation=str(changes["approximation"]))
    if "source" in changes:
        changed = replace(changed, source=str(changes["source"]))
    if "breakdown" in changes:
        changed = replace(changed, breakdown=tuple(changes["breakdown"]))
    # The days of a changed period or date, as the view worked them out (DAYS).
    if DAYS in changes:
        first, last = changes[DAYS]
        period = changes.get("period", changes.get("measured_on"))
        first_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
        changed = replace(changed, period=str(period), first_day=first_day, last_day=last_day)
    return changed
