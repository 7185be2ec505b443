"""Each medium's escaping on its own, for any Python string: controls,
lone surrogates, noncharacters, markup, very long words."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from workflows.escape.filenames import file_part
from workflows.escape.headers import header_text, header_value
from workflows.escape.markdown import md_text
from workflows.escape.spreadsheet import csv_cell
from workflows.escape.terminal import visible
from workflows.escape.xml import xml_text
from workflows.reports import Report, render
from workflows.reports.model import Table


def test_a_terminal_is_shown_every_control_character_as_its_escape() -> None:
    text = "a\x00b\x07c\x1b[2Jd\x7fe\x85f\x9bg\rh\ud800i\udfffj\ufffek\uffffl\u202em\u2066n"

    shown = visible(text)

    assert shown == ("a\\x00b\\x07c\\x1b[2Jd\\x7fe\\x85f\\x9bg\\rh\\ud800i\\udfffj\\ufffek\\uffffl\\u202em\\u2066n")
    assert shown.isprintable() and visible(shown) == shown
    shown.encode("utf-8")  # no lone surrogate is left to fail on


def test_a_terminal_is_given_tabs_line_feeds_and_every_printable_character_as_they_are() -> None:
    text = "tab\there\nnext line: é ü 中文 🙂 [bold]x[/] \\x1b"

    assert visible(text) == text


def test_a_csv_cell_is_prefixed_by_its_type_and_first_character() -> None:
    for text in ("=1+1", "+1", "-5 tonnes", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(text, text) == "'" + text
    assert csv_cell(Decimal("-12.5"), "-12.5") == "-12.5"
    assert csv_cell(-3, "-3") == "-3"
    assert csv_cell(date(2021, 1, 1), "2021-01-01") == "2021-01-01"
    assert csv_cell("plain", "plain") == "plain"
    assert csv_cell(None, "") == ""


def test_a_csv_report_keeps_negative_numbers_and_dates_and_defuses_text() -> None:
    table = Table(
        "-table",
        ["title", "amount", "day"],
        [{"title": "-5 tonnes", "amount": Decimal("-12.5"), "day": date(2021, 1, 2)}],
    )
    report = Report("r", tables=[table])

    [row] = list(csv.DictReader(io.StringIO(render(report, "csv"))))

    assert row == {"table": "'-table", "title": "'-5 tonnes", "amount": "-12.5", "day": "2021-01-02"}


def test_markdown_text_renders_as_itself_on_one_line_whatever_it_holds() -> None:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for text in (
        "# h",
        "  - item",
        "+ item",
        "1) item",
        "12. item",
        "> quote",
        "```js",
        "---",
        "===",
        "<b>x</b>",
        "<!-- c -->",
        "[a](javascript:alert(1))",
        "![i](x.png)",
        "<http://x.example>",
        "&amp; &#60;",
        "*a* _b_ `c` ~~d~~ \\",
        "a | b",
        "trailing \\",
    ):
        tokens = parser.parse(md_text(text, line_start=True))
        assert [token.type for token in tokens] == ["paragraph_open", "inline", "paragraph_close"], text
        assert "".join(child.content for child in tokens[1].children or []) == text.strip(), text


def test_markdown_text_puts_line_breaks_on_one_line_and_shows_controls() -> None:
    assert md_text("a\nb\r\nc\rd\u2028e\tf") == "a b c d e f"
    assert md_text("a\x1bb\ud800") == "a\\\\x1bb\\\\ud800"


def test_a_header_is_one_line_whatever_the_text_and_folds_however_long_its_words() -> None:
    from email.mime.text import MIMEText
    from email.parser import BytesParser
    from email.policy import compat32, default

    assert (
        header_text("Reminder: a\nNote: x\r\n\tthen\x1b[2J\x00\x85end\ud800")
        == "Reminder: a Note: x then [2J end\ufffd"
    )
    assert header_text("w" * 300).endswith("...") and len(header_text("w" * 300)) == 200
    for text in ("plain words", "é\nNote: x", "w" * 150, "x\ud800y", "a " * 300):
        email = MIMEText("body", "plain", "utf-8")
        email["Subject"] = header_value(text)  # type: ignore[assignment]
        data = email.as_bytes(policy=compat32.clone(linesep="\r\n"))
        assert max(len(line) for line in data.split(b"\r\n")) <= 78
        assert str(BytesParser(policy=default).parsebytes(data)["Subject"]) == header_text(text)


def test_a_file_name_part_is_safe_bounded_and_apart_for_texts_that_begin_alike() -> None:
    assert file_part("desk:TN") == "desk-TN" and file_part("desk:TN", distinct=True) == "desk%3ATN"
    assert file_part("desk-TN", distinct=True) == "desk%2DTN"
    assert file_part("../x/\x00\ud800") == "..%2Fx%2F%00%ED%A0%80"
    assert file_part("") == "_"
    long, longer = "é" * 200, "é" * 199 + "e"
    for text in (long, longer, "a" * 1000):
        part = file_part(text)
        assert len(part) <= 120 and part.isascii() and "/" not in part
    assert file_part(long) != file_part(longer)
    assert file_part(long)[:100] == file_part(longer)[:100]


def test_xml_text_replaces_what_xml_forbids_and_keeps_the_rest() -> None:
    from lxml import etree

    text = "a\x00b\x1bc\x0bd\ud800e\ufffef\uffffg\t\n\x7f\x85é🙂<&>]]>"

    written = xml_text(text)

    assert written == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\t\n\x7f\x85é🙂<&>]]>"
    element = etree.Element("x")
    element.text = written  # lxml refuses any character XML forbids
    assert etree.fromstring(etree.tostring(element, encoding="utf-8")).text == written


def test_an_iati_file_the_schema_refuses_is_named_with_its_line() -> None:
    import pytest

    from workflows.interchange.iati import ExportInvalid, check

    with pytest.raises(ExportInvalid) as refused:
        check(b'<?xml version="1.0"?>\n<iati-activities version="2.03">\n<nonsense/>\n</iati-activities>\n')
    assert str(refused.value).startswith("the IATI export does not follow the IATI 2.03 schema (line 3: ")
    with pytest.raises(ExportInvalid, match=r"not well-formed XML \(.*line 1"):
        check(b"<a>\x1b</a>")
