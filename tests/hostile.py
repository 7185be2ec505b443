"""What the output tests put in the record: text that means something to a
terminal, rich, a spreadsheet, Markdown, HTML, an email header or XML; and
the one way to record text the entry checks refuse, as an older Accord (or
a file imported before the checks) did."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from domain.vocabulary import parse
from tests.helpers import application

ACCORD = str(Path(sys.executable).with_name("accord"))

# Rich's markup: an unbalanced closing tag (a MarkupError once), a link, hidden text.
MARKUP = "see annex [/] and [link=http://evil.example/]the form[/link] [conceal]hidden words[/conceal]"
# Sequences a terminal obeys: set the window's title, erase the line, clear
# the screen, an OSC 8 link, CSI as one C1 character, DEL, a carriage return
# (writes over the line) and a right-to-left override. (Not NUL: PostgreSQL
# cannot read it back from JSON, whatever prints it; the unit tests have it.)
ESCAPES = "\x1b]0;owned\x07\x1b[2K\x1b[2J\x1b[H\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x9b31m\x7f\r\u202e"
# What the terminal shows of ESCAPES' characters, each as its escape.
SHOWN = ("\\x1b]0;owned\\x07", "\\x1b[2K", "\\x1b[2J", "\\x1b]8;;", "\\x9b31m", "\\x7f", "\\r", "\\u202e")


def record_unchecked(db: str, row: dict[str, Any], **text: str) -> None:
    """Record `row` with `text` in its fields as they are, past the checks
    made where text enters: as a record written before those checks, or by
    an import that checked less, holds it. Readers must carry it."""
    submission = parse(row).model_copy(update=text)
    with application(db) as app:
        app.submit([submission], "tester")
