"""Text for a terminal: every character a terminal would act on instead of
showing shown visibly, in the form Python writes it in a string literal.

A control character (C0 but tab and line feed, DEL, C1), a lone surrogate
(which no terminal encoding can carry), a noncharacter (U+FFFE, U+FFFF) and
the bidirectional overrides and isolates (which reorder what follows them on
screen) become a backslash escape: ESC is `\\x1b`, CSI as one character
`\\x9b`, a carriage return `\\r`, U+202E `\\u202e`, a lone surrogate
`\\udc80`. So an escape sequence in a record (setting the window's title,
erasing a line, clearing the screen, an OSC 8 link) is read, never obeyed,
and what was there stays known. Printable text, tabs and line feeds are
left as they are.

Rich markup is the other half: printers hand rich a `rich.text.Text` of the
visible text (`workflows.cli.read.plain`), never a string rich would parse
for `[link=...]` or `[/]`.
"""

from __future__ import annotations

import re

# Characters shown escaped: C0 controls but tab (\x09) and line feed
# (\x0a), DEL and the C1 controls, lone surrogates, the noncharacters
# U+FFFE and U+FFFF, and the bidirectional embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069).
_UNSEEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\r":
        return "\\r"
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every character a terminal would act on shown as its
    backslash escape (`\\x1b` for ESC, `\\r`, `\\x9b`, `\\udc80`), so that
    a terminal prints it and obeys nothing in it. Tab and line feed stay."""
    return _UNSEEN.sub(_escaped, text)
