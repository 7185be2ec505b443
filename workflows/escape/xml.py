"""Text in XML: only the characters XML 1.0 allows.

XML 1.0 allows tab, line feed, carriage return and U+0020-U+D7FF,
U+E000-U+FFFD, U+10000-U+10FFFF; any other character (the C0 controls,
a lone surrogate, U+FFFE, U+FFFF) makes a document no parser reads, and no
escape can write it. Each is replaced by U+FFFD, the replacement character,
rather than dropped: the text keeps the mark that something was there, which
a reader can look for in the record. The serialiser (ElementTree, lxml)
escapes `&`, `<`, `>` and quotes itself.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _FORBIDDEN.sub(REPLACEMENT, text)
