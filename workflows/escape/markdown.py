"""Text from the record in Markdown that renders as that text, and nothing
else: it can never open a heading, a list, a block quote, a code block or
span, a table row or cell, emphasis, a link, an image, an autolink, raw HTML
or an entity.

Each text is put on one line (line breaks and tabs become spaces, so a
value stays inside its heading, list item or table cell), its control
characters are shown as their escapes (`\\x1b`, as the terminal shows
them), and the characters CommonMark gives a meaning to are backslash
escaped: `\\ ` * _ [ ] < > ! | ~ & #` wherever they are, and a `+`, `-`,
`=` or an ordered list's `1.` where the text starts a line.
"""

from __future__ import annotations

import re

from workflows.escape.terminal import visible

# Line breaks (CommonMark's and Unicode's) and tabs: one line, of spaces.
_BREAKS = re.compile("\r\n|[\r\n\t\x0b\x0c\x85\u2028\u2029]")
# Punctuation with a meaning anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]<>!|~&#])")
# What opens a block only at a line's start: a list, a thematic break or a
# setext underline (+ - =), an ordered list item (1. or 1)).
_START = re.compile(r"^(\s*)(?:([+\-=])|(\d{1,9})([.)]))")


def md_text(text: str, *, line_start: bool = False) -> str:
    """`text` as Markdown that renders as `text` on one line; `line_start`:
    it begins a line, where `- x` would be a list."""
    escaped = _INLINE.sub(r"\\\1", visible(_BREAKS.sub(" ", text)))
    if line_start:
        escaped = _START.sub(_start, escaped.lstrip(), count=1)
    return escaped


def _start(match: re.Match[str]) -> str:
    if match.group(2):
        return f"\\{match.group(2)}"
    return f"{match.group(3)}\\{match.group(4)}"
