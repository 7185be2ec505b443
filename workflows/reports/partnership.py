"""The partnership report (one partnership in depth) and the portfolio report
(every partnership on one page), from the partnership overview and the task
list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.values import Party
from workflows.application.service import Accord
from workflows.projections.tasks.queries import TaskFilter
from workflows.reports.currency import add_one_currency
from workflows.reports.model import Report, Table
from workflows.reports.numbers import Amount, pillar, pillars

PARTY_LABELS = {Party.EU: "EU", Party.MEMBER_STATE: "member states", Party.PARTNER: "partner"}

PORTFOLIO_COLUMNS = [
    "partner",
    "name",
    "opened_on",
    "last_visit",
    "visits",
    "planned_visits",
    "dialogues",
    "rounds",
    *(f"open_{party}" for party in Party),
    "fulfilled",
    "lapsed",
    "committed",
    "disbursed",
    "open_tasks",
    "overdue_tasks",
    "pillars",
    "last_activity",
]
# What a page too narrow for the portfolio's table leaves out first: what
# each partnership's own report shows.
PORTFOLIO_OPTIONAL = [
    "opened_on",
    "planned_visits",
    "rounds",
    "lapsed",
    "open_member_state",
    "last_activity",
    "pillars",
]


def partnership_report(app: Accord, code: str, *, today: date, into: str | None = None) -> Report:
    """Status, visits, dialogues, commitments by party, funding (also in one
    currency, `into`, if given), tasks and timeline of one partnership;
    UnknownPartner or PartnershipNotOpened if there is none. Built from the
    read models as they stand: refresh first."""
    partnership = app.partnership(code)
    code = partnership.partner
    tasks = list(app.reader.tasks.tasks(TaskFilter(today, partner=code)))
    [row] = app.reader.partnerships.rows(code)
    commitments = [
        {"commitment": ref, "party": c.party.value, "description": c.description, "due_on": _text(c.due_on)}
        for ref, c in partnership.commitments.items()
        if c.status == "open"
    ]
    figures = {
        "Name": row["name"],
        "Opened on": row["opened_on"],
        "Status": row["status"],
        "Last visit": row["last_visit"],
        "Visits": row["visits"],
        "Visits planned": row["planned_visits"],
        "Active dialogues": row["dialogues"],
        "Dialogues": row["dialogue_titles"],
        "Dialogue rounds": row["rounds"],
        **_open_commitments([row]),
        "Commitments fulfilled": row["fulfilled"],
        "Commitments lapsed": row["lapsed"],
        "Funding committed": _money(row["committed"]),
        "Funding disbursed": _money(row["disbursed"]),
        "Open tasks": len(tasks),
        "Overdue tasks": sum(task["overdue"] for task in tasks),
        "Pillars": [pillar(code) for code in (row["pillars"].split(", ") if row["pillars"] else [])],
        "Last activity": row["last_activity"],
    }
    report = Report(
        title=f"Partnership with {row['name']} ({code})",
        subtitle=f"As of {today.isoformat()}.",
        figures=figures,
        tables=[
            Table("Open commitments", ["commitment", "party", "description", "due_on"], commitments),
            Table("Open tasks", ["task", "due_on", "state", "owner", "title"], [_task(t) for t in tasks]),
            Table("Timeline", ["occurred_on", "type", "subject", "summary"], app.reader.timeline.of(code)),
        ],
    )
    if into is not None:
        add_one_currency(report, app, into, at=0, prefix="Funding ", partner=code)
    return report


def portfolio_report(app: Accord, today: date, *, into: str | None = None) -> Report:
    """One row per partnership, with the portfolio's totals as figures (from
    the read models as they stand: refresh first); `into`, a currency, adds
    the funding converted into it (workflows.reports.currency)."""
    tally = app.reader.tasks.open_by_partner(today)
    rows = app.reader.partnerships.rows()
    committed: dict[str, Decimal] = {}
    disbursed: dict[str, Decimal] = {}
    for row in rows:
        _sum_into(committed, row["committed"])
        _sum_into(disbursed, row["disbursed"])
        row.update({kind: _money(row[kind]) for kind in ("committed", "disbursed")})
        row["open_tasks"], row["overdue_tasks"] = tally.get(row["partner"], (0, 0))
    figures = {
        "Partnerships": len(rows),
        "Visits": sum(row["visits"] for row in rows),
        "Active dialogues": sum(row["dialogues"] for row in rows),
        **_open_commitments(rows),
        "Funding committed": _money(committed),
        "Funding disbursed": _money(disbursed),
        # Every open task, as the tasks chart counts them: those on meetings
        # and initiatives too, which belong to no one partnership's row.
        "Open tasks": app.reader.tasks.count(TaskFilter(today)),
        "Overdue tasks": app.reader.tasks.count(TaskFilter(today, status="overdue")),
    }
    for row in rows:
        row["pillars"] = pillars(row["pillars"].split(", ") if row["pillars"] else [])
    report = Report(
        title="Partnership portfolio",
        subtitle=f"As of {today.isoformat()}.",
        figures=figures,
        # Only the columns shown: the view's bookkeeping is not for readers.
        tables=[
            Table(
                "Partnerships",
                PORTFOLIO_COLUMNS,
                [{c: row[c] for c in PORTFOLIO_COLUMNS} for row in rows],
                optional=PORTFOLIO_OPTIONAL,
            )
        ],
    )
    if into is not None:
        add_one_currency(report, app, into, at=1, prefix="Funding ")
    return report


def _open_commitments(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Open commitments by the party that made them, over the rows."""
    return {
        f"Open commitments ({label})": sum(row[f"open_{party}"] for row in rows)
        for party, label in PARTY_LABELS.items()
    }


def _money(totals: dict[str, Decimal]) -> list[Amount]:
    """E.g. [EUR 1250000.10, USD 500]: exact, one entry per currency."""
    return [Amount(currency, amount) for currency, amount in sorted(totals.items())]


def _sum_into(totals: dict[str, Decimal], more: dict[str, Decimal]) -> None:
    for currency, amount in more.items():
        totals[currency] = totals.get(currency, Decimal(0)) + amount


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def _task(task: dict[str, Any]) -> dict[str, Any]:
    return {**task, "task": task["task_id"][:8], "state": "OVERDUE" if task["overdue"] else task["status"]}
