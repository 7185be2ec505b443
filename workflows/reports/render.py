"""Reports as Markdown for people, JSON and CSV for machines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from workflows.escape.markdown import md_text
from workflows.escape.spreadsheet import csv_cell
from workflows.reports.model import Link, Report
from workflows.reports.numbers import Amount, Coded, Quantity, Ratio, grouped, percent, plain


def markdown(report: Report) -> str:
    """The report as Markdown; what the record holds renders as its text,
    never as a heading, a link or HTML (workflows.escape.markdown)."""
    lines = [f"# {md_text(report.title)}", ""]
    if report.subtitle:
        lines += [md_text(report.subtitle, line_start=True), ""]
    for label, value in report.figures.items():
        lines.append(f"- **{md_text(label)}**: {md_cell(figure(value))}")
    if report.figures:
        lines.append("")
    for table in report.tables:
        lines += [f"## {md_text(table.title)}", ""]
        if not table.rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(md_text(column.replace("_", " ")) for column in table.columns) + " |")
        lines.append("|" + "---|" * len(table.columns))
        for row in table.rows:
            lines.append("| " + " | ".join(md_cell(row.get(column)) for column in table.columns) + " |")
        lines.append("")
    return "\n".join(lines)


def md_cell(value: Any) -> str:
    """A cell in Markdown: a link as an autolink (its address holds no
    space, < or >: percent-encoded), anything else as its text."""
    return f"<{value.url}>" if isinstance(value, Link) else md_text(cell(value))


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=_plain) + "\n"


def as_csv(report: Report) -> str:
    """Every table's rows, one CSV: a `table` column says which table a row
    is from. A text cell never opens as a formula (workflows.escape.spreadsheet)."""
    out = io.StringIO()
    columns = ["table", *dict.fromkeys(column for table in report.tables for column in table.columns)]
    # RFC 4180's line ending: the writer then quotes a cell holding a lone
    # carriage return too (with a line feed alone it did not: readers split the row).
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for table in report.tables:
        title = csv_cell(table.title, table.title)
        for row in table.rows:
            cells = {key: csv_cell(value, cell(value, plain)) for key, value in row.items()}
            writer.writerow({"table": title, **cells})
    return out.getvalue()


FORMATS: dict[str, Callable[[Report], str]] = {"md": markdown, "json": as_json, "csv": as_csv}


def render(report: Report, fmt: str) -> str:
    return FORMATS[fmt](report)


def _plain(value: Any) -> Any:
    if isinstance(value, Link):
        return value.url
    return plain(value) if isinstance(value, Decimal) else repr(value)


# A figure that holds nothing (funding in no currency yet), as people read it.
NOTHING = "none yet"


def figure(value: Any) -> Any:
    """A key figure as shown: one that holds nothing (an empty list of
    amounts, no date yet) says so, never a blank."""
    return NOTHING if value is None or value == [] else value


def cell(value: Any, number: Callable[[Decimal], str] = grouped) -> str:
    """A value as a table shows it: amounts `grouped` and ratios as
    percentages for people, or both `plain` for machines."""
    if value is None:
        return ""
    if isinstance(value, Ratio):
        return percent(value) if number is grouped else plain(value)
    if isinstance(value, Coded):
        return value.label if number is grouped else str(value)
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000 and number is grouped:
        # 41,252 for people; four digits stay whole, as style guides write them (and years are).
        return grouped(Decimal(value))
    if isinstance(value, Amount | Quantity):
        return value.text(number)
    if isinstance(value, list | tuple | set):
        return ", ".join(cell(item, number) for item in value)
    return str(value)
