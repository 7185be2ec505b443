"""Markdown reports, the outbox's Markdown files and the text of emails
render what the record holds as its text: parsed by a real CommonMark
parser (markdown-it-py, with GitHub's tables), a report holds the headings,
the list and the table rows it makes itself and nothing the data would
open (no heading, list, quote, code, link, image, autolink or HTML), and a
line break in a cell stays in its cell. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.helpers import accord, as_json, open_partners, submit_rows
from tests.hostile import ESCAPES, record_unchecked

pytestmark = pytest.mark.integration

# Each line would open something in Markdown were it written as it is.
HOSTILE = "\n".join(
    [
        "# Heading from the data",
        "- a list item",
        "> a quote",
        "```",
        "    indented code",
        "<script>alert(1)</script>",
        "<div>an HTML block</div>",
        "[click](javascript:alert(1)) ![image](http://evil.example/x.png) <http://evil.example/>",
        "| a | b |",
        "1. one",
        "---",
        "===",
        "&lt;b&gt; *em* _em_ `code` ~~struck~~ \\# end",
    ]
)
# What the data may never make.
FORBIDDEN = {
    "link_open",
    "image",
    "html_inline",
    "html_block",
    "blockquote_open",
    "fence",
    "code_block",
    "code_inline",
    "em_open",
    "s_open",
    "ordered_list_open",
    "hr",
}


def parsed(text: str) -> list[Token]:
    """Every token of `text`, inline ones too, as CommonMark with tables reads it."""
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    return [*tokens, *(child for token in tokens for child in token.children or [])]


def assert_only_its_own_structure(markdown: str, report: dict[str, Any]) -> None:
    """The Markdown of `report` (its JSON) has the report's title and table
    titles as its headings, its figures as the one list, each table's rows
    as rows, its figures' labels in bold, and nothing else the data could
    open."""
    tokens = parsed(markdown)
    made = {token.type for token in tokens}
    assert not made & FORBIDDEN, made & FORBIDDEN
    headings = [tokens[i + 1].content for i, token in enumerate(tokens) if token.type == "heading_open"]
    assert len(headings) == 1 + len(report["tables"])
    assert sum(token.type == "bullet_list_open" for token in tokens) == (1 if report["figures"] else 0)
    assert sum(token.type == "list_item_open" for token in tokens) == len(report["figures"])
    assert sum(token.type == "strong_open" for token in tokens) == len(report["figures"])  # each figure's label
    rows = [len(table["rows"]) + 1 for table in report["tables"] if table["rows"]]
    assert sum(token.type == "tr_open" for token in tokens) == sum(rows)
    assert sum(token.type == "table_open" for token in tokens) == len(rows)


def text_of(inline: Token) -> str:
    """The text an inline token renders, its escapes undone."""
    return "".join(child.content for child in inline.children or [] if child.type == "text")


def one_line(text: str) -> str:
    return " ".join(text.split("\n"))


def test_a_partnership_report_renders_hostile_text_as_its_text(db: str) -> None:
    open_partners(db, "TN")
    commitment = {
        "type": "CommitmentRecorded",
        "partner": "TN",
        "occurred_on": "2021-02-01",
        "commitment": "c1",
        "party": "eu",
        "description": HOSTILE,
    }
    assert submit_rows(db, commitment).exit_code == 0

    markdown = accord(db, "report", "partnership", "TN").stdout
    report = as_json(accord(db, "report", "partnership", "TN", "--json"))

    assert_only_its_own_structure(markdown, report)
    texts = [token.content for token in parsed(markdown) if token.type == "text"]
    assert one_line(HOSTILE) in texts  # the open commitment's cell: all of it, as written, on one line


def test_a_briefing_whose_meeting_is_titled_in_markdown_renders_its_title_as_text(db: str) -> None:
    open_partners(db, "TN")
    meeting = {
        "type": "MeetingScheduled",
        "meeting": "m1",
        "occurred_on": "2021-01-05",
        "body": "Council\n# of ministers",
        "title": HOSTILE,
        "held_on": "2021-06-07",
        "partners": ["TN"],
    }
    assert submit_rows(db, meeting).exit_code == 0

    markdown = accord(db, "report", "briefing", "m1").stdout
    report = as_json(accord(db, "report", "briefing", "m1", "--json"))

    assert_only_its_own_structure(markdown, report)
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    assert text_of(tokens[1]) == "Briefing: Council # of ministers, 2021-06-07"
    assert tokens[3].type == "paragraph_open" and text_of(tokens[4]).startswith(one_line(HOSTILE))  # the subtitle


def test_the_outbox_markdown_of_a_digest_renders_a_hostile_title_as_text(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_OUTBOX", str(tmp_path / "outbox"))
    open_partners(db, "TN")
    record_unchecked(
        db,
        {
            "type": "CommitmentRecorded",
            "partner": "TN",
            "occurred_on": "2020-09-25",
            "commitment": "c1",
            "party": "eu",
            "description": "x",
        },
        description=HOSTILE + ESCAPES,
    )

    assert accord(db, "scheduler", "tick", "--at", "2020-11-28T09:00").exit_code == 0

    digests = {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "outbox" / "digest").glob("*.md")}
    for name, markdown in digests.items():
        report = json.loads((tmp_path / "outbox" / "digest" / name).with_suffix(".json").read_text(encoding="utf-8"))
        assert_only_its_own_structure(markdown, report)
        assert "\x1b" not in markdown
    texts = [token.content for token in parsed(digests["2020-11-28--desk-TN.md"]) if token.type == "text"]
    assert any("\\x1b]0;owned\\x07" in text for text in texts)  # the commitment's task, its escapes shown
