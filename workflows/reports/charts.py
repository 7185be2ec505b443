"""The charts of the HTML reports, from the read models: funding against
disbursements and targets, a timeline of visits, dialogue rounds and
meetings, open tasks by due week. Each comes with its data as a Table, the
chart's text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.measures import span
from domain.values import event_date
from workflows.application.service import Accord
from workflows.reports import svg
from workflows.reports.model import Report, Table
from workflows.reports.numbers import grouped, percent
from workflows.reports.render import cell

KIND_OF_TYPE = {"VisitHeld": "visit", "DialogueRoundHeld": "dialogue round"}


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str
    data: Table


# Bars a group of the funding chart draws, the most committed first chosen.
MOST_BARS = 25


def funding_figure(funding: Report) -> Figure:
    """Committed against disbursed by partner and by year, and committed
    against each envelope's target, one group per currency."""
    by = {table.title.split(" (")[0]: table.rows for table in funding.tables}
    groups: list[tuple[str, list[svg.Bar]]] = []
    rows: list[dict[str, Any]] = []
    currencies = sorted({row["currency"] for row in by["By partner"] + by["Envelopes and targets"]})
    for currency in currencies:
        for title, key in (("By partner", "partner"), ("By year committed", "year")):
            mine = [row for row in by[title] if row["currency"] == currency]
            if len(mine) > MOST_BARS:
                # The most committed, in their order: a chart, not a ledger (the table has them all).
                kept = sorted(mine, key=lambda row: row["committed"], reverse=True)[:MOST_BARS]
                mine = [row for row in mine if any(row is top for top in kept)]
                title = f"{title} (the {MOST_BARS} most committed of {len(by[title])})"
            full = max((row["committed"] for row in mine), default=Decimal(0))
            bars = [_spent(str(row[key]), row, full) for row in mine]
            groups += [(f"{title}, {currency}", bars)] if bars else []
            rows += [{"group": title, "row": str(row[key]), **_amounts(row)} for row in mine]
        for envelope in (row for row in by["Envelopes and targets"] if row["currency"] == currency):
            name = f"{envelope['instrument']} {envelope['first_year']}-{envelope['last_year']}"
            groups.append((f"Against the target, {currency}", [_against(name, envelope)]))
            rows.append({"group": "Target", "row": name, **_amounts(envelope), "target": envelope["target"]})
    desc = (
        "Light bars: committed; dark bars: disbursed; an outlined bar is a target, filled by what is committed. "
        "Amounts are never added across currencies."
    )
    title = "Funding committed, disbursed and against the target"
    columns = ["group", "row", "currency", "committed", "disbursed", "target"]
    return Figure(svg.bars(title, desc, groups), desc, Table(title, columns, rows))


def _spent(label: str, row: dict[str, Any], full: Decimal) -> svg.Bar:
    note = f"{grouped(row['committed'])} committed, {grouped(row['disbursed'])} disbursed"
    return svg.Bar(label, float(row["committed"]), float(row["disbursed"]), float(full), note)


def _against(name: str, envelope: dict[str, Any]) -> svg.Bar:
    share = percent(envelope["committed_of_target"])
    note = f"{grouped(envelope['committed'])} of {grouped(envelope['target'])} target ({share})"
    target = float(envelope["target"])
    return svg.Bar(name, float(envelope["committed"]), float(envelope["disbursed"]), target, note, track=True)


def _amounts(row: dict[str, Any]) -> dict[str, Any]:
    return {"currency": row["currency"], "committed": row["committed"], "disbursed": row["disbursed"]}


def timeline_figure(
    app: Accord, codes: list[str], today: date, names: dict[str, str] | None = None, of: int | None = None
) -> Figure:
    """Visits, dialogue rounds and meetings, one lane per partner (this
    year's axis if there are none); `of`: how many partnerships there are,
    when the lanes are some of them (the most recently active)."""
    names = names or {}
    some = f" of the {len(codes)} partnerships most recently active (of {of})" if of and of > len(codes) else ""
    events = timeline_events(app, codes)
    spans = [(event_date(e["occurred_on"]).earliest, event_date(e["occurred_on"]).latest) for e in events]
    start = date(min((first for first, _ in spans), default=today).year, 1, 1)
    end = date(max((last for _, last in spans), default=today).year, 12, 31)
    title = "Timeline of visits, dialogue rounds and meetings"
    shapes = "circles are visits, squares dialogue rounds, diamonds meetings (hollow if not held yet)"
    if len(events) > MOST_MARKS:
        # More marks than anyone can tell apart: one a month (or a year) for each kind.
        by, periods = "month", _by_period(events, "%Y-%m")
        if len(periods) > MOST_MARKS:
            by, periods = "year", _by_period(events, "%Y")
        lanes = [(names.get(code, code), [_period_dot(p) for p in periods if p["partner"] == code]) for code in codes]
        desc = (
            f"{len(events):,} events{some} from {start.year} to {end.year}, one mark for each {by} with events "
            f"of a kind: {shapes}; each mark's tooltip and the data give how many."
        )
        table = Table(title, ["partner", "period", "kind", "events"], periods)
        return Figure(svg.dots(title, desc, lanes, start, end), desc, table)
    lanes = [(names.get(code, code), [_dot(e) for e in events if e["partner"] == code]) for code in codes]
    desc = (
        f"{len(events)} events{some} from {start.year} to {end.year}: {shapes}; a line shows the month or year "
        "a date is known to."
    )
    columns = ["partner", "occurred_on", "kind", "what"]
    return Figure(svg.dots(title, desc, lanes, start, end), desc, Table(title, columns, events))


# Marks a timeline draws one by one; past this, it draws a month's at once.
MOST_MARKS = 1_000


def _by_period(events: list[dict[str, Any]], period: str) -> list[dict[str, Any]]:
    """How many events of each kind each partner had in each month ("%Y-%m")
    or year ("%Y"), by a date's first day."""
    counts: dict[tuple[str, str, str], int] = {}
    for event in events:
        key = (event["partner"], event_date(event["occurred_on"]).earliest.strftime(period), event["kind"])
        counts[key] = counts.get(key, 0) + 1
    return [{"partner": p, "period": when, "kind": k, "events": n} for (p, when, k), n in sorted(counts.items())]


def _period_dot(row: dict[str, Any]) -> svg.Dot:
    span = event_date(row["period"])  # a month or a year, as dates are written
    kind = row["kind"].removesuffix(" planned")
    label = f"{row['period']}: {row['events']} {row['kind']}(s)"
    return svg.Dot(span.earliest, span.latest, kind, label, done=kind == row["kind"])


def timeline_events(app: Accord, codes: list[str]) -> list[dict[str, Any]]:
    """The partners' visits and dialogue rounds (from the timeline view) and
    the meetings naming them (held or planned), by date."""
    events = [
        _event(row["partner"], row["occurred_on"], KIND_OF_TYPE[row["type"]], row["summary"])
        for row in app.reader.timeline.facts(codes, KIND_OF_TYPE)
    ]
    for meeting in app.reader.meetings.meetings():
        kind = "meeting" if meeting["held"] else "meeting planned"
        what = f"{meeting['body']}: {meeting['title']}" if meeting["title"] else meeting["body"]
        named = meeting["partners"].split(",")
        events += [_event(code, meeting["held_on"], kind, what) for code in codes if code in named]
    return sorted(events, key=lambda e: (event_date(e["occurred_on"]), e["partner"], e["kind"]))


def _event(partner: str, occurred_on: str, kind: str, what: str) -> dict[str, Any]:
    return {"partner": partner, "occurred_on": occurred_on, "kind": kind, "what": what}


def _dot(event: dict[str, Any]) -> svg.Dot:
    day = event_date(event["occurred_on"])
    kind = event["kind"].removesuffix(" planned")
    label = f"{event['occurred_on']}, {event['kind']}: {event['what']}"
    return svg.Dot(day.earliest, day.latest, kind, label, done=kind == event["kind"])


# Columns a chart of tasks by due date draws before it counts months, not weeks.
MOST_COLUMNS = 52


def tasks_figure(due: list[dict[str, Any]], today: date) -> Figure:
    """Open tasks by the week they are due (weeks with none left out), the
    overdue part dark; by month when weeks would be more than MOST_COLUMNS.
    `due`: the open tasks counted by due date ({"due_on", "open", "overdue"},
    TaskQueries.open_by_due_date)."""
    by_week = _due(due, lambda day: (day - timedelta(days=day.weekday())).isoformat())
    by, rows = ("week", by_week) if len(by_week) <= MOST_COLUMNS else ("month", _due(due, lambda d: f"{d:%Y-%m}"))
    cols = [svg.Column(row["due"], row["open"], row["overdue"], _tasks_note(row, by)) for row in rows]
    title = f"Open tasks by due {by}"
    start = "by the Monday starting the week" if by == "week" else "weeks would have been too many to read"
    desc = (
        f"{sum(row['open'] for row in rows)} open tasks, {sum(row['overdue'] for row in rows)} overdue on "
        f"{today.isoformat()}, in {len(rows)} {by}s ({start}; {by}s with no task due are left out). "
        "The dark part of a column is overdue."
    )
    return Figure(svg.columns(title, desc, cols), desc, Table(title, ["due", "open", "overdue"], rows))


def _due(due: list[dict[str, Any]], period: Any) -> list[dict[str, Any]]:
    """Open and overdue tasks by the period (a week's Monday, a month) they are due in."""
    counts: dict[str, list[int]] = {}
    for day in due:
        count = counts.setdefault(period(date.fromisoformat(day["due_on"])), [0, 0])
        count[0] += int(day["open"])
        count[1] += int(day["overdue"])
    return [{"due": key, "open": open_, "overdue": overdue} for key, (open_, overdue) in sorted(counts.items())]


def _tasks_note(row: dict[str, Any], by: str) -> str:
    when = f"the week of {row['due']}" if by == "week" else row["due"]
    return f"{row['open']} open, {row['overdue']} overdue, due in {when}"


def results_figures(results: Report) -> list[Figure]:
    """One small trend chart per indicator of the results report: its whole
    actuals over time, its baseline and last target, and the straight line
    between them."""
    figures: dict[str, list[dict[str, Any]]] = {row["indicator"]: [] for row in results.tables[0].rows}
    for row in results.tables[1].rows:
        if row["breakdown"] == "whole" or row["kind"] == "baseline":
            figures.setdefault(row["indicator"], []).append(row)
    made = []
    for indicator, rows in figures.items():
        points = {
            kind: [_point(row) for row in rows if row["kind"] == kind] for kind in ("actual", "baseline", "target")
        }
        baseline = points["baseline"][0] if points["baseline"] else None
        target = max(points["target"], key=lambda point: point.day, default=None)
        actuals = sorted(points["actual"], key=lambda point: point.day)
        title = f"Trend of {indicator}"
        desc = (
            f"{len(actuals)} actual figure{'s' * (len(actuals) != 1)} of {indicator} at the end of their periods "
            "(dots, joined), its baseline (a hollow diamond) and its last target (a square), and the straight "
            "line from baseline to target (dashed)."
        )
        columns = ["indicator", "kind", "period", "value"]
        data = Table(title, columns, [{column: row[column] for column in columns} for row in rows])
        made.append(Figure(svg.trend(title, desc, actuals, baseline, target), desc, data))
    return made


def _point(row: dict[str, Any]) -> svg.Point:
    period = str(row["period"])
    last = event_date(period).latest if row["kind"] == "baseline" else span(period).last
    value = row["value"]
    amount = float(getattr(value, "value", value))
    return svg.Point(last, amount, f"{row['kind']} {period}: {cell(value)}")
