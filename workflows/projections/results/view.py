"""The indicators (as they now stand) and every figure reported on them,
each kept with the moment it was recorded: baselines, targets, actuals, and
the corrections and retractions of each. Nothing is overwritten: a figure
restated is one more row, a correction one more row beside the figure it
corrects, so that `queries` can show the figures as known at any moment
and what each replaced."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from domain.amendments import Correction, amendments_of
from domain.indicator import Indicator, scope_of
from domain.measures import span
from domain.values import event_date
from workflows.projections.base import View
from workflows.projections.results.queries import (
    AMENDMENT_COLUMNS,
    DAYS,
    DEFINITION_COLUMNS,
    FIGURE_COLUMNS,
    amendments_table,
    figures_table,
)
from workflows.store.database import Cursor, Record

I = Indicator  # noqa: E741
KINDS: dict[Any, str] = {I.BaselineSet: "baseline", I.TargetSet: "target", I.ActualReported: "actual"}


class Results(View):
    name = "results"
    reads = (I.IndicatorDefined, I.BaselineSet, I.TargetSet, I.ActualReported, *amendments_of(Indicator))

    def create(self, table: str) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {table} (
                indicator TEXT PRIMARY KEY,
                scope TEXT NOT NULL,
                title TEXT NOT NULL,
                unit TEXT NOT NULL,
                currency TEXT,
                direction TEXT NOT NULL,
                disaggregations TEXT NOT NULL,
                source TEXT NOT NULL,
                cadence TEXT,
                owner TEXT NOT NULL,
                level TEXT,
                measures_initiative TEXT,
                measures_funding TEXT,
                pillars TEXT NOT NULL,
                defined_on TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {figures_table(table)} (
                position INTEGER PRIMARY KEY,
                indicator TEXT NOT NULL,
                kind TEXT NOT NULL,
                key TEXT NOT NULL,
                period TEXT NOT NULL,
                first_day TEXT NOT NULL,
                last_day TEXT NOT NULL,
                breakdown TEXT NOT NULL,
                value TEXT NOT NULL,
                approximation TEXT NOT NULL,
                source TEXT NOT NULL,
                occurred_on TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                actor TEXT NOT NULL
            )""",
            f"""CREATE TABLE IF NOT EXISTS {amendments_table(table)} (
                position INTEGER PRIMARY KEY,
                indicator TEXT NOT NULL,
                target TEXT NOT NULL,
                changes TEXT,
                reason TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                actor TEXT NOT NULL
            )""",
        ]

    def indexes(self, table: str) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {figures_table(table)}_indicator ON {figures_table(table)} (indicator)",
            f"CREATE INDEX IF NOT EXISTS {amendments_table(table)}_indicator ON {amendments_table(table)} (indicator)",
        ]

    def forget(self, cursor: Cursor, table: str, history: Sequence[Record]) -> None:
        """What an amendment changes: it is kept as one more row, the figures
        it amends kept as reported (their rows are applied again as they
        stood, and stay as they are); the indicator's definition is written
        again, as amended, when its facts are applied again."""
        cursor.execute(f"DELETE FROM {table} WHERE indicator = ?", (history[0]["indicator"],))
        amendments = [_amendment(record) for record in history if record.type in AMENDMENTS]
        cursor.insert(amendments_table(table), AMENDMENT_COLUMNS, amendments, "ON CONFLICT (position) DO NOTHING")

    def apply(self, cursor: Cursor, table: str, records: Sequence[Record]) -> None:
        figures = []
        for record in records:
            if record.type is I.IndicatorDefined:
                cursor.insert(table, DEFINITION_COLUMNS, [_definition(record)], "ON CONFLICT (indicator) DO NOTHING")
            elif record.type in KINDS:
                figures.append(_figure(record))
        # A figure applied again after an amendment is already kept as reported.
        cursor.insert(figures_table(table), FIGURE_COLUMNS, figures, "ON CONFLICT (position) DO NOTHING")


AMENDMENTS = frozenset(amendments_of(Indicator))


def _definition(record: Record) -> tuple[Any, ...]:
    state = record.state
    return (
        state["indicator"],
        scope_of(state["indicator"]),
        state["title"],
        state["unit"],
        state.get("currency"),
        state["direction"],
        json.dumps(list(state["disaggregations"]), ensure_ascii=False),
        state["source"],
        state.get("cadence"),
        state["owner"],
        state.get("level"),
        state.get("measures_initiative"),
        state.get("measures_funding"),
        ",".join(state["pillars"]),
        state["occurred_on"],
        _recorded(record),
    )


def _figure(record: Record) -> tuple[Any, ...]:
    state = record.state
    if record.type is I.BaselineSet:
        measured = event_date(state["measured_on"])
        period, first, last = state["measured_on"], measured.earliest, measured.latest
    else:
        days = span(state["period"])
        period, first, last = state["period"], days.first, days.last
    return (
        record.position,
        state["indicator"],
        KINDS[record.type],
        state["key"],
        period,
        first.isoformat(),
        last.isoformat(),
        json.dumps(list(state.get("breakdown", ())), ensure_ascii=False),
        str(state["value"]),
        state.get("approximation", "exact"),
        state.get("source", ""),
        state["occurred_on"],
        _recorded(record),
        state["actor"],
    )


def _amendment(record: Record) -> tuple[Any, ...]:
    state = record.state
    changes = None
    if issubclass(record.type, Correction):
        changed = dict(state["changes"])
        if "period" in changed:
            days = span(changed["period"])
            changed[DAYS] = [days.first.isoformat(), days.last.isoformat()]
        elif "measured_on" in changed:
            measured = event_date(changed["measured_on"])
            changed[DAYS] = [measured.earliest.isoformat(), measured.latest.isoformat()]
        changes = json.dumps(changed, ensure_ascii=False)
    return (
        record.position,
        state["indicator"],
        state["target"],
        changes,
        state["reason"],
        _recorded(record),
        state["actor"],
    )


def _recorded(record: Record) -> str:
    """When it was recorded, to the microsecond as the log has it: a figure
    restated within a second is still known after the first."""
    return datetime.fromisoformat(str(record.state["timestamp"]).replace("Z", "+00:00")).astimezone(UTC).isoformat()
