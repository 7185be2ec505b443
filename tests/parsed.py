"""Each output of Accord read back in its own format, by the parser people
and programs would read it with, asserting what no data may change: a CSV
cell never a formula, Markdown opening no heading, link or HTML of its
data, an HTML page running no script of its data, IATI XML valid against
the schema, iCalendar read by `icalendar`, an email by the email package
with its subject on one line, and a terminal shown no escape but Accord's
own styles."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import icalendar
from lxml import etree, html
from markdown_it import MarkdownIt

IATI_SCHEMA = Path(__file__).parent / "reference" / "iati-2.03" / "iati-activities-schema.xsd"
# A spreadsheet opens a cell beginning with one of these as a formula.
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV, each row as wide as its header; no text cell
    begins as a formula would (OWASP: such a cell is written with a leading
    apostrophe), while numbers stay numbers."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for row in rows:
        assert None not in row and None not in row.values(), f"a row not as wide as the header: {row}"
        for column, cell in row.items():
            assert not cell.startswith(FORMULA) or _number(cell), f"{column}: {cell[:80]!r} opens as a formula"
    return rows


def _number(cell: str) -> bool:
    try:
        Decimal(cell)
    except InvalidOperation:
        return False
    return True


_MARKDOWN = MarkdownIt("commonmark").enable("table")
# Tokens only the report's own structure may make (and links, images and HTML never).
_NEVER = {"link_open", "image", "html_inline", "html_block", "blockquote_open", "code_block", "fence", "hr"}


def markdown_matches(text: str, report: dict[str, Any]) -> None:
    """A Markdown report (render.markdown) read by markdown-it: one heading
    for its title and one a table, a table of as many rows as its JSON twin
    has, and no link, image, HTML, quote or code its data could open."""
    tokens = [token for block in _MARKDOWN.parse(text) for token in [block, *(block.children or [])]]
    kinds = [token.type for token in tokens]
    made = sorted(set(kinds) & _NEVER)
    assert not made, f"data opened {made} in Markdown"
    assert kinds.count("heading_open") == 1 + len(report["tables"]), "data opened a heading in Markdown"
    counted = []
    for start in (i for i, kind in enumerate(kinds) if kind == "tbody_open"):
        counted.append(kinds[start : kinds.index("tbody_close", start)].count("tr_open"))
    assert counted == [len(table["rows"]) for table in report["tables"] if table["rows"]], "data broke a table's rows"


# Where a page may hold a script or a handler: nowhere but Accord's own file.
_HANDLER = re.compile(r"^on", re.IGNORECASE)


def html_is_inert(text: str, own_scripts: tuple[str, ...] = ()) -> None:
    """An HTML page (a report, a console page) runs nothing of its data: no
    script but Accord's own, no event handler, no javascript: address, no
    frame or object."""
    page = html.document_fromstring(text)
    scripts = [script.get("src") for script in page.iter("script")]
    assert all(src in own_scripts for src in scripts), f"a script not Accord's: {scripts}"
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("iframe", "object", "embed", "base"), f"a {element.tag} element from data"
        for name, value in element.attrib.items():
            assert not _HANDLER.match(name), f"an event handler <{element.tag} {name}=...>"
            assert not value.strip().lower().startswith("javascript:"), f"a javascript: address in {name}"


def iati_valid(data: bytes) -> etree._Element:
    """IATI activity XML, well-formed and valid against the IATI 2.03 schema."""
    document = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    etree.XMLSchema(etree.parse(str(IATI_SCHEMA))).assertValid(document)
    return document


def calendar_entries(data: bytes) -> dict[str, list[icalendar.cal.Component]]:
    """An iCalendar file read by `icalendar`: its to-dos and events."""
    calendar = icalendar.Calendar.from_ical(data)
    for component in calendar.walk():
        assert not getattr(component, "errors", []), component.errors
    return {"VTODO": calendar.walk("VTODO"), "VEVENT": calendar.walk("VEVENT")}


# The headers an email of Accord's carries: no other may come of its data.
HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "x-accord-deliveries",
    "auto-submitted",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def email_read(data: bytes) -> EmailMessage:
    """An email as a receiver reads it: its subject one line, no header but
    Accord's, every part decoded."""
    message = BytesParser(policy=default).parsebytes(data)
    assert not message.defects, message.defects
    names = {name.lower() for name in message}
    assert names <= HEADERS, f"headers from data: {names - HEADERS}"
    subject = str(message["Subject"])
    assert subject and "\n" not in subject and "\r" not in subject, f"a subject of several lines: {subject!r}"
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()
    return message


# What Accord itself styles a terminal with (rich's SGR: bold, italic,
# dim, underline, red and the resets): any other escape came of data.
_STYLE = re.compile(r"\x1b\[((?:\d+;)*\d*)m")
_OWN_STYLES = {"", "0", "1", "2", "3", "4", "22", "23", "24", "31", "39", "91"}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_clean(written: bytes) -> str:
    """What a command wrote to a terminal, checked: UTF-8, no escape but
    Accord's own styles (no link, title, erasure or hidden text), and no
    other control but tab and the terminal's own newline (CR LF): no bell,
    backspace, C1 control or carriage return writing over a line. Returns
    the text, styles left out."""
    text = written.decode("utf-8")
    for params in _STYLE.findall(text):
        assert set(params.split(";")) <= _OWN_STYLES, f"a style from data: ESC[{params}m"
    plain = _STYLE.sub("", text).replace("\r\n", "\n")
    found = _CONTROL.search(plain)
    assert not found, f"{found[0]!r} reached the terminal: {plain[max(0, found.start() - 60) :][:120]!r}"
    return plain


def json_lines(text: str) -> list[Any]:
    """JSON lines, each a document: lines end at a line feed alone (JSON
    text may hold U+2028, NEL and the other breaks str.splitlines knows)."""
    return [json.loads(line) for line in text.split("\n") if line.strip()]
