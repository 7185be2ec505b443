"""Reports as one self-contained HTML page: inline CSS and inline SVG charts,
nothing loaded from anywhere, readable on a phone and on paper.

Any report renders generically (figures as a definition list, tables as
tables); the portfolio, partnership and funding pages add their charts.
Every text is escaped; every chart has its data beside it as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from domain.codes import partner_code
from workflows.application.service import Accord
from workflows.escape.terminal import visible
from workflows.reports.charts import Figure, funding_figure, tasks_figure, timeline_figure
from workflows.reports.funding import LINE_COLUMNS, funding_report
from workflows.reports.model import Link, Report, Table
from workflows.reports.numbers import PILLARS
from workflows.reports.partnership import partnership_report
from workflows.reports.render import cell, figure
from workflows.sentences.words import day

STYLE = """
:root { color-scheme: light; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a;
  max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
.subtitle { color: #555; margin-top: 0; }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; list-style: none; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .5rem; }
dl.figures div { border: 1px solid #ccc; border-radius: 4px; padding: .4rem .6rem; }
dt { font-size: .8rem; color: #555; } dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; margin: .25rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.whole { white-space: nowrap; }
th { white-space: nowrap; }
figure { margin: 1rem 0 1.5rem; } figcaption { font-size: .85rem; color: #444; }
svg.chart { display: block; width: 100%; max-width: 60rem; height: auto; }
.chart text { font: 12px system-ui, sans-serif; fill: #1a1a1a; }
.chart .heading { font-weight: 600; } .chart .axis { font-size: 11px; fill: #555; }
.chart .end { text-anchor: end; } .chart .middle { text-anchor: middle; }
.outer { fill: #9ecae1; } .inner { fill: #08519c; } .overdue { fill: #b30000; }
.track { fill: none; stroke: #08519c; stroke-dasharray: 4 2; }
.beyond { fill: #08519c; }
.trend { fill: none; stroke: #08519c; stroke-width: 2; } .mark.actual { fill: #08519c; }
.grid { stroke: #bbb; } .lane { stroke: #e3e3e3; } .span { stroke: #999; stroke-width: 3; stroke-opacity: .5; }
.mark.visit { fill: #1b7837; } .mark.dialogue-round { fill: #762a83; } .mark.meeting { fill: #e08214; }
.mark.hollow { fill: #fff; stroke: #e08214; stroke-width: 2; }
details summary { cursor: pointer; font-size: .85rem; }
/* On a phone a chart keeps a legible size and scrolls sideways, and so
   does a table: a column of text is not squeezed to a word a line. */
@media (max-width: 40rem) { svg.chart { min-width: 34rem; } .scroll td:not(.whole) { min-width: 12rem; } }
.on-paper { display: none; }
@page { size: A4; margin: 12mm; }
/* A table too wide for an upright page is printed on a page turned. */
@page turned { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav, details summary { display: none; }
  /* Paper does not scroll: a table is laid out to fit its page (_on_paper). */
  .scroll { overflow: visible; }
  .turned { page: turned; }
  table { width: 100%; font-size: 7.5pt; }
  th, td { padding: .15em .35em; overflow-wrap: break-word; }
  th { white-space: normal; }
  .tight td.whole { white-space: normal; }
  .unprinted { display: none; }
  .on-paper { display: block; font-size: 8pt; color: #444; margin: 0 0 .5rem; }
  figure, dl.figures, tr { break-inside: avoid; }
  /* The overview under the title; then each partnership on a page of its own. */
  section + section { break-before: page; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  svg.chart { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""


def portfolio_html(app: Accord, portfolio: Report, today: date, target: Decimal | None = None) -> str:
    """The portfolio page: key figures and charts, then one section per partnership."""
    return page(portfolio.title, portfolio_body(app, portfolio, today, target))


def portfolio_body(
    app: Accord,
    portfolio: Report,
    today: date,
    target: Decimal | None = None,
    partner_page: Callable[[str], str] | None = None,
) -> list[str]:
    """The portfolio page's parts, each HTML with every text escaped: with
    `partner_page` (each partnership's address, where it is a page of its
    own), its links go there and its sections are left out."""
    funding = funding_report(app, today, target=target)
    # The partnerships; then, in one currency if asked, the funding converted.
    overview, *converted = portfolio.tables
    codes = [row["partner"] for row in overview.rows]
    names = {row["partner"]: f"{row['name']} ({row['partner']})" for row in overview.rows}
    due = app.reader.tasks.open_by_due_date(today)
    # A lane a partnership: past a page's worth, those most recently active.
    recent = sorted(overview.rows, key=lambda row: str(row["last_activity"]), reverse=True)[:TIMELINE_LANES]
    lanes = [code for code in codes if code in {row["partner"] for row in recent}]
    timeline = timeline_figure(app, lanes, today, names, of=len(codes))
    figures = [funding_figure(funding), timeline, tasks_figure(due, today)]
    return [
        _header(portfolio),
        _nav(names, partner_page),
        _section(
            "overview",
            "Overview",
            [_figures(portfolio.figures), *map(_figure, figures), _table(overview), *map(_table, converted)],
        ),
        *(
            _partner(partnership_report(app, code, today=today), code, funding)
            for code in ([] if partner_page else codes)
        ),
    ]


def partnership_html(app: Accord, report: Report, code: str, today: date) -> str:
    """The partnership report with its timeline and tasks-by-week charts."""
    return page(report.title, partnership_body(app, report, code, today))


def partnership_body(app: Accord, report: Report, code: str, today: date) -> list[str]:
    code = partner_code(code)
    due = app.reader.tasks.open_by_due_date(today, partner=code)
    return report_body(report, [timeline_figure(app, [code], today), tasks_figure(due, today)])


def funding_html(report: Report) -> str:
    return page(report.title, report_body(report, [funding_figure(report)]))


def report_html(report: Report, figures: Sequence[Figure] = ()) -> str:
    """Any report as a page: its figures, charts and tables."""
    return page(report.title, report_body(report, figures))


def report_body(report: Report, figures: Sequence[Figure] = ()) -> list[str]:
    return [
        _header(report),
        _figures(report.figures),
        *map(_figure, figures),
        *map(_table, map(_for_people, report.tables)),
    ]


# The columns of a table people read that its sentences already say (the
# JSON keeps them, for machines): a timeline's type and subject.
SAID = {"Timeline": ("type", "subject")}


def _for_people(table: Table) -> Table:
    """A table as a page shows it: without the columns its sentences say."""
    said = SAID.get(table.title.partition(":")[0], ())
    if not said:
        return table
    columns = [column for column in table.columns if column not in said]
    return Table(table.title, columns, table.rows, [column for column in table.optional if column not in said])


def page(title: str, body: Iterable[str]) -> str:
    # A control character can only come of the record (an earlier version
    # stored what the checks now refuse): shown as its escape, so a page
    # printed to a terminal, or read in a browser, carries it as text.
    return visible(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


# Lanes of the portfolio's timeline chart: one a partnership, to this many.
TIMELINE_LANES = 40
# Rows of a table a partnership's section of the portfolio page shows: the
# page stays light at any size of portfolio; each partnership's own report
# has them all.
SECTION_ROWS = 3


def _partner(report: Report, code: str, funding: Report) -> str:
    """A partnership's section: funding lines, commitments, tasks, timeline
    (its figures are its row of the overview table above)."""
    lines = next(table for table in funding.tables if table.title == "Funding lines")
    columns = [column for column in LINE_COLUMNS if column != "partner"]
    own = Table("Funding", columns, [row for row in lines.rows if row["partner"] == code])
    parts = [_table(_shortened(own, code))]
    tables = [_shortened(_for_people(table), code) for table in report.tables]
    return _section(f"partner-{code}", report.title, [*parts, *map(_table, tables)])


def _shortened(table: Table, code: str) -> Table:
    """A table of at most SECTION_ROWS rows: a timeline's latest, else the
    first (tasks come earliest due first), saying how many there are."""
    if len(table.rows) <= SECTION_ROWS:
        return table
    latest = table.title == "Timeline"
    rows = table.rows[-SECTION_ROWS:] if latest else table.rows[:SECTION_ROWS]
    which = "latest" if latest else "first"
    title = f"{table.title}: the {which} {SECTION_ROWS} of {len(table.rows):,} (all: accord report partnership {code})"
    return Table(title, table.columns, rows)


def _header(report: Report) -> str:
    subtitle = f'\n<p class="subtitle">{escape(report.subtitle)}</p>' if report.subtitle else ""
    return f"<header>\n<h1>{escape(report.title)}</h1>{subtitle}\n</header>"


def _nav(names: dict[str, str], page: Callable[[str], str] | None = None) -> str:
    def address(code: str) -> str:
        return page(code) if page else f"#partner-{code}"

    links = "".join(f'<li><a href="{escape(address(code))}">{escape(name)}</a></li>' for code, name in names.items())
    return f'<nav aria-label="Partnerships">\n<ul>{links}</ul>\n</nav>'


def _section(anchor: str, title: str, parts: Iterable[str]) -> str:
    heading = f'<h2 id="{escape(anchor)}">{escape(title)}</h2>'
    return f'<section aria-labelledby="{escape(anchor)}">\n{heading}\n' + "\n".join(parts) + "\n</section>"


def _figures(figures: dict[str, Any]) -> str:
    if not figures:
        return ""
    # A figure holding nothing (no dialogue's title yet) says so, never a blank.
    shown = {label: figure(None if value == "" else value) for label, value in figures.items()}
    items = "".join(
        f"<div><dt>{escape(label)}</dt><dd>{_cell(value, label)}</dd></div>" for label, value in shown.items()
    )
    return f'<dl class="figures">{items}</dl>'


def _figure(figure: Figure) -> str:
    data = _table(figure.data, caption=False)
    return (
        f"<figure>\n<h3>{escape(figure.data.title)}</h3>\n"
        f"{_scrolling(figure.data.title)}{figure.svg}</div>\n<figcaption>{escape(figure.caption)}</figcaption>\n"
        f"<details><summary>The data of this chart</summary>\n{data}</details>\n</figure>"
    )


def _table(table: Table, caption: bool = True) -> str:
    title = f"<h3>{escape(table.title)}</h3>\n" if caption else ""
    if not table.rows:
        return f'{title}<p class="empty">No {escape(table.title[:1].lower() + table.title[1:])} to show.</p>'
    paper = _on_paper(table)
    # Dates and amounts are read whole: they never wrap mid-value (on paper,
    # only where a table holds too much for a page turned).
    kept = {
        column: _classes(("whole",) * _whole(column) + ("unprinted",) * (column in paper.left_out))
        for column in table.columns
    }
    head = "".join(f'<th scope="col"{kept[column]}>{escape(heading(column))}</th>' for column in table.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td{kept[column]}>{_cell(row.get(column), column)}</td>" for column in table.columns)
        + "</tr>"
        for row in table.rows
    )
    note = ""
    if paper.left_out:
        names = ", ".join(heading(column) for column in table.columns if column in paper.left_out)
        note = (
            f'<p class="on-paper">Left out on paper, for width: {escape(names)} '
            "(the HTML report has every column).</p>\n"
        )
    rows = f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>"
    printed = f"{title}{note}{_scrolling(table.title)}{rows}</div>"
    # Its heading goes with it, to a page turned.
    return f'<div class="{paper.layout}">\n{printed}\n</div>' if paper.layout else printed


def _scrolling(name: str) -> str:
    """A box that scrolls sideways on a narrow screen, reachable from the
    keyboard (to scroll it with the arrow keys) and named for a screen reader."""
    return f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(name)}">'


# How many characters of a table's text a line of paper holds at the print
# size (7.5 pt, A4 with 12 mm margins), upright and turned; each column
# takes PADDING more. Measured on Chromium's print of the demo's tables.
UPRIGHT, TURNED, PADDING = 125, 185, 1.5
# Free text wraps at its words; a word longer than this breaks anywhere.
LONGEST_WORD = 20


@dataclass(frozen=True)
class Paper:
    """How a table is printed: `layout` its box's classes ("" upright,
    "turned" on a landscape page, "tight" where even then dates and
    amounts may wrap) and the columns `left_out`."""

    layout: str = ""
    left_out: frozenset[str] = frozenset()


def _on_paper(table: Table) -> Paper:
    """How a table fits a page: upright if it can, else turned, leaving out
    its optional columns, the first first, while it does not fit (as the
    terminal does); with whatever is left too wide still, its dates and
    amounts wrap: nothing is cut."""
    width = {column: _printed_width(table, column) for column in table.columns}

    def needed(columns: Iterable[str]) -> float:
        return sum(width[column] + PADDING for column in columns)

    if needed(table.columns) <= UPRIGHT:
        return Paper()
    kept = list(table.columns)
    for column in table.optional:
        if needed(kept) <= TURNED:
            break
        if column in kept:
            kept.remove(column)
    left_out = frozenset(table.columns) - set(kept)
    return Paper("turned" if needed(kept) <= TURNED else "turned tight", left_out)


def _printed_width(table: Table, column: str) -> int:
    """The characters a column takes on paper: its heading's longest word
    (headings wrap), a date's or an amount's whole text, free text's
    longest word (to LONGEST_WORD)."""
    texts = [_text(row.get(column), column) for row in table.rows]
    title = max(len(word) for word in heading(column).split(" "))
    if _whole(column):
        return max(title, *(len(text) for text in texts))
    return max(title, *(min(len(word), LONGEST_WORD) for text in texts for word in text.split() or [""]))


def _classes(names: Sequence[str]) -> str:
    """An element's class attribute, of the names given (none: no attribute)."""
    return f' class="{" ".join(names)}"' if names else ""


def _whole(column: str) -> bool:
    return (
        _dated(column)
        or column.endswith(("_on", "_at", "_of", "year", "committed", "disbursed", "decommitted", "target"))
        or column
        in (
            "envelope",
            "task",
        )
    )


def heading(column: str) -> str:
    """A column's name as a table's heading says it: "Open EU", "Opened on"."""
    if column in HEADINGS:
        return HEADINGS[column]
    words = column.replace("_", " ").split(" ")
    said = " ".join(word.upper() if word in ACRONYMS else word for word in words)
    return said[:1].upper() + said[1:]


ACRONYMS = frozenset({"eu", "iati", "id"})
# Headings said otherwise than by their column's name.
HEADINGS = {"occurred_on": "When", "summary": "What happened"}


def _dated(name: str) -> bool:
    """Whether a column or a figure, by its name, holds a day."""
    said = name.lower().replace("_", " ")
    return said.endswith(" on") or said in ("last visit", "last activity")


def _cell(value: Any, name: str = "") -> str:
    if isinstance(value, Link):
        return f'<a href="{escape(value.url)}">{escape(value.text)}</a>'
    return escape(_text(value, name))


def _text(value: Any, name: str = "") -> str:
    """A value as a page says it, in the column or figure `name`: a day in
    words, pillars by their names, amounts grouped."""
    if isinstance(value, str) and _dated(name):
        return day(value)
    if isinstance(value, str) and name == "pillars":
        return ", ".join(PILLARS.get(code, code) for code in value.split(", ") if code)
    return cell(value)
