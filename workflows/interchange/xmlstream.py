"""A large XML file read one record at a time (lxml's iterparse): its
root's start tag first, then each record (a child of the root of one tag),
whole, dropped from memory once the next is asked for, so that a file of
hundreds of megabytes is read in the memory of about one record.

Read as every file from elsewhere is: no entities resolved, no network,
huge text nodes allowed (libxml2's huge_tree: a publisher's description
may pass its 10 MB limit), and no more than `largest` bytes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from workflows.base.textfile import NotText, too_large


def records(xml: bytes | Path, root: str, tag: str, largest: int) -> Iterator[Any]:
    """The root element, its attributes read and no child yet (whatever it
    is named: one not named `root` is given once the whole file is read,
    or with the first record), then each <`tag`> child of it, whole, with
    its `sourceline`: each is cleared, and what came before it in the root
    dropped, once the next is asked for (a `tag` nested deeper is not a
    record). Raises lxml's XMLSyntaxError where the file stops being XML,
    after the records before that place, and NotText, in words to follow
    the file's name, for a file that cannot be read or holds more than
    `largest` bytes (none of it is parsed then, and no more is read)."""
    from lxml import etree

    with _opened(xml, largest) as stream:
        # Only the root's and the records' events reach Python: iterparse
        # passes over the rest in C.
        parsing = etree.iterparse(
            stream, events=("start", "end"), tag=(root, tag), resolve_entities=False, no_network=True, huge_tree=True
        )
        top = None
        for event, element in parsing:
            if top is None:
                top = element.getroottree().getroot()
                yield top
            if event != "end" or element.getparent() is not top or element.tag != tag:
                continue
            yield element
            element.clear()
            while top[0] is not element:
                del top[0]
        if top is None:
            yield parsing.root


@contextmanager
def _opened(xml: bytes | Path, largest: int) -> Iterator[IO[bytes]]:
    """The bytes, or the file, to parse: NotText if it holds more than
    `largest` bytes, before any is parsed, or if it grows past them
    while it is (a pipe, a file being written)."""
    if isinstance(xml, bytes):
        if len(xml) > largest:
            raise too_large(largest)
        yield io.BytesIO(xml)
        return
    try:
        file = xml.open("rb")
    except OSError as error:
        raise NotText(f"cannot be read: {error.strerror or error}") from None
    with file:
        if os.fstat(file.fileno()).st_size > largest:
            raise too_large(largest)
        yield _Bounded(file, largest)  # type: ignore[misc]


class _Bounded:
    """A file read for a parser, refused once more than `largest` bytes
    have come from it."""

    def __init__(self, file: IO[bytes], largest: int) -> None:
        self.file, self.largest, self.count = file, largest, 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.file.read(self.largest + 1 - self.count if size < 0 else size)
        except OSError as error:
            raise NotText(f"cannot be read: {error.strerror or error}") from None
        self.count += len(data)
        if self.count > self.largest:
            raise too_large(self.largest)
        return data
