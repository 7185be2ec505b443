"""Parts of file names made from the record (an owner, a meeting): safe on
any file system, bounded, and apart for different texts.

Only ASCII letters, digits and `_ . - ~` are kept; every other character
is %-escaped as its UTF-8 bytes (a lone surrogate too), so a name holds no
separator, control or space, and no two texts give one name. People read
an owner's name: its colon is written as a hyphen ("desk:TN" is
"desk-TN"); the rare owners who then read alike are told apart by
`distinct`, which keeps the hyphens escaped. A part longer than LIMIT bytes
is cut (never inside an escape) and ends with `~` and the first 12 hex
digits of the SHA-256 of the whole text, so two long texts that begin
alike keep names of their own, and the name, with what a caller adds
(a date, a suffix), stays far below the 255 bytes file systems allow.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

# The most bytes of a name's part made from the record.
LIMIT = 120
DIGEST = 12
# A %-escape cut short at the end of a part.
_CUT_ESCAPE = re.compile(r"%[0-9A-F]?$")


def file_part(text: str, *, distinct: bool = False) -> str:
    """`text` as part of a file name: readable ("desk:TN" is "desk-TN",
    "head of unit" is "head%20of%20unit"), or with `distinct` one no other
    text has ("desk%3ATN"); at most LIMIT bytes, a digest kept when cut."""
    if distinct:
        part = quote(text, safe="_.", errors="surrogatepass").replace("-", "%2D")
    else:
        part = quote(text, safe="_.-", errors="surrogatepass").replace("%3A", "-")
    part = part or "_"
    if len(part) <= LIMIT:
        return part
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST]
    return _CUT_ESCAPE.sub("", part[: LIMIT - DIGEST - 1]) + "~" + digest
