"""What the output tests put in the record: text that means something to a
terminal, rich, a spreadsheet, Markdown, HTML, an email header or XML; and
the one way to record text the entry checks refuse, as an older Accord (or
a file imported before the checks) did."""

from __future__ import annotations

import os
import pty
import subprocess
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


def on_a_terminal(db: str, *args: str, columns: int = 200) -> bytes:
    """What a command writes to a terminal (a pseudo-terminal of the test's),
    its pager `cat`; the command must succeed."""
    leader, follower = pty.openpty()
    env = {**os.environ, "ACCORD_DB": db, "COLUMNS": str(columns), "PAGER": "cat", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([ACCORD, *args], stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    written = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command ended: the terminal is gone
            break
        if not chunk:
            break
        written += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, written.decode(errors="replace")
    return written
