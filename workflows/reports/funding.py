"""The funding report: what was committed and disbursed, by partner,
instrument, pillar and year, and against each instrument's migration target.

Built from the funding ledger view; amounts stay exact Decimals and are never
added across currencies, unless asked for in one currency (`into`), each
converted at the rate of its own day (workflows.reports.currency).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.base import normalise
from workflows.reports.currency import add_one_currency
from workflows.reports.model import Report, Table
from workflows.reports.numbers import Ratio, pillar

# Ratios are fractions (0.25 is 25%); six places keep a small line visible
# against an envelope of billions.
RATIO = Decimal("0.000001")
AMOUNTS = ["lines", "committed", "decommitted", "disbursed", "disbursed_ratio"]
LINE_COLUMNS = [
    *("partner", "funding", "instrument", "title", "currency", "committed", "decommitted", "disbursed"),
    "disbursed_ratio",
    *("committed_on", "year", "pillars"),
]
ENVELOPE_COLUMNS = [
    *("instrument", "currency", "envelope", "share", "first_year", "last_year", "years_elapsed", "target"),
    *("lines", "committed", "disbursed", "committed_of_target"),
]


def funding_report(app: Any, today: date, *, target: Decimal | None = None, into: str | None = None) -> Report:
    """The report, as of `today`; `target`, a share such as 0.15, replaces the
    share recorded with each envelope (the ACCORD_FUNDING_TARGET setting);
    `into`, a currency (checked by workflows.reports.currency.currency),
    adds the funding converted into it."""
    funding = app.reader.funding
    # One read of the ledger for every table, so that they all agree.
    lines = _with_ratio(funding.lines())
    by = {key: _with_ratio(funding.totals(key, lines)) for key in ("partner", "instrument", "pillar", "year")}
    by["pillar"] = [{**row, "pillar": pillar(row["pillar"])} for row in by["pillar"]]
    lines = [{**line, "pillars": [pillar(code) for code in line["pillars"]]} for line in lines]
    envelopes = [_envelope(row, lines, target, today) for row in funding.envelopes()]
    report = Report(
        title="Funding",
        subtitle=_rule(today, target, decommitted=any(line["decommitted"] for line in lines)),
        figures=_figures(funding.totals("currency", lines), envelopes),
        tables=[
            Table("By partner", ["partner", "currency", *AMOUNTS], by["partner"]),
            Table("By instrument", ["instrument", "currency", *AMOUNTS], by["instrument"]),
            Table(
                "By pillar (a line serving several pillars counts under each)",
                ["pillar", "currency", *AMOUNTS],
                by["pillar"],
            ),
            Table("By year committed", ["year", "currency", *AMOUNTS], by["year"]),
            Table("Envelopes and targets", ENVELOPE_COLUMNS, envelopes),
            Table("Funding lines", LINE_COLUMNS, lines),
        ],
    )
    if into is not None:
        add_one_currency(report, app, into, at=1)
    return report


def _with_ratio(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with what was disbursed as a fraction of what was committed."""
    return [{**row, "disbursed_ratio": _ratio(row["disbursed"], row["committed"])} for row in rows]


def _envelope(row: dict[str, Any], lines: list[dict[str, Any]], target: Decimal | None, today: date) -> dict[str, Any]:
    """An envelope, its target, and the lines that count against it: same
    instrument and currency, committed within the envelope's years."""
    amount, share, first, last = row["amount"], row["share"], row["first_year"], row["last_year"]
    goal = amount if target is None or share is None else (amount * target / share).quantize(Decimal("0.01"))
    counted = [
        line
        for line in lines
        if normalise(line["instrument"]) == normalise(row["instrument"])
        and line["currency"] == row["currency"]
        and first <= line["year"] <= last
    ]
    committed = sum((line["committed"] for line in counted), Decimal(0))
    return {
        "instrument": row["instrument"],
        "currency": row["currency"],
        "envelope": amount,
        "share": Ratio(share) if share is not None else None,
        "first_year": first,
        "last_year": last,
        "years_elapsed": min(max(today.year - first + 1, 0), last - first + 1),
        "target": goal,
        "lines": len(counted),
        "committed": committed,
        "disbursed": sum((line["disbursed"] for line in counted), Decimal(0)),
        "committed_of_target": _ratio(committed, goal),
    }


def _figures(by_currency: list[dict[str, Any]], envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for row in by_currency:
        figures[f"committed {row['currency']}"] = row["committed"]
        figures[f"disbursed {row['currency']}"] = row["disbursed"]
    for envelope in envelopes:
        name, years = envelope["instrument"], f"{envelope['first_year']}-{envelope['last_year']}"
        figures[f"{name} target {envelope['currency']} {years}"] = envelope["target"]
        figures[f"{name} committed of target"] = envelope["committed_of_target"]
    return figures


def _rule(today: date, target: Decimal | None, *, decommitted: bool) -> str:
    rule = (
        f"As of {today}. Amounts are exact and never added across currencies; shares are percentages here and "
        "fractions in JSON and CSV (25% is 0.25). "
        "An instrument's target is its migration envelope as recorded (its share of the instrument is shown for "
        "information)"
    )
    if target is not None:
        rule += (
            f", except that ACCORD_FUNDING_TARGET sets the share to {target}: the target is the envelope divided "
            f"by its recorded share (the whole instrument) times {target}; an envelope with no share keeps its amount"
        )
    rule += ". Lines count against a target when of the same instrument and currency and committed within its years."
    if decommitted:
        rule += " What is committed is net of decommitments, shown beside it."
    return rule


def _ratio(part: Decimal, whole: Decimal) -> Ratio:
    return Ratio((part / whole).quantize(RATIO) if whole else Decimal(0).quantize(RATIO))
