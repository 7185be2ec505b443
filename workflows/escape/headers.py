"""Email headers made from the record (a subject, a display name): one line,
never an error, folded by the email package.

A header is one line: every line break and control character in the text
becomes a space (a line break followed by `Note:` would otherwise start a
header of its own, and the email package refuses it), runs of spaces
become one, and a lone surrogate, which no encoding carries, becomes
U+FFFD. A text longer than SUBJECT characters is cut, with "...". Text that
is not ASCII, or holds a word too long for a line, is encoded as RFC 2047
encoded words (UTF-8), which the email package folds at any point, so that
no line of the header is longer than 78 characters however long its words.
"""

from __future__ import annotations

import re
from email.header import Header

# How long a subject (or a name) may be, in characters; longer ones are cut.
SUBJECT = 200
# The longest word left unencoded: a line holds 78 characters (RFC 5322).
WORD = 60
_UNSAFE = re.compile("[\x00-\x20\x7f-\x9f\u2028\u2029]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def header_text(text: str, limit: int = SUBJECT) -> str:
    """`text` on one line, as a header shows it: line breaks, tabs and
    control characters one space each run, lone surrogates U+FFFD, cut to
    `limit` characters (with "...")."""
    line = _SURROGATE.sub("\ufffd", _UNSAFE.sub(" ", text)).strip()
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def header_value(text: str, name: str = "Subject", limit: int = SUBJECT) -> str | Header:
    """`text` as the value of the header `name`: one line (`header_text`),
    as it is when it is ASCII in words a line holds, else a Header of RFC
    2047 encoded words the email package folds (from after the name)."""
    line = header_text(text, limit)
    if line.isascii() and all(len(word) <= WORD for word in line.split(" ")):
        return line
    return Header(line, "utf-8", header_name=name)
