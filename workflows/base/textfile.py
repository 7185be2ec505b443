"""Files people write by hand (the configuration, rules, policies, the
directory, the users file): read as UTF-8 text, a byte-order mark (Windows
editors write one) dropped, parsed as TOML here and nowhere else, and
anything else refused in a sentence that says where and how to fix it.

A file holds at most LARGEST bytes, and its tables and lists nest at most
DEEPEST levels (`a = [[1]]` is two levels; so is `a.b = 1` inside `[t]`).
Deeper nesting is found before the file is parsed: tomllib calls itself
once per level of brackets, and a few hundred of them end in a
RecursionError; it is also slow, quadratic, on a key of thousands of dots.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The most a file written by hand may hold (10 MB), and how deep its tables and lists may nest.
LARGEST = 10 * 1024 * 1024
DEEPEST = 32


class NotText(ValueError):
    """A file that cannot be read as UTF-8 text, or as TOML; the message says
    why (and where), to follow the file's name and a colon."""


def read_bounded(path: str | Path, largest: int) -> bytes:
    """A file's bytes ("-": standard input's), refused (NotText, in words
    to follow its name) if it cannot be read or holds more than `largest`:
    no more than that is ever read."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(largest + 1)
        else:
            with Path(path).open("rb") as file:
                data = file.read(largest + 1)
    except OSError as error:
        raise NotText(f"cannot be read: {error.strerror or error}") from None
    if len(data) > largest:
        raise too_large(largest)
    return data


def too_large(largest: int) -> NotText:
    """That a file holds more than `largest` bytes, the size in MB or KB."""
    size = f"{largest // 2**20} MB" if largest >= 2**20 else f"{largest // 1024:,} KB"
    return NotText(f"is larger than {size}")


def read_text(path: str | Path) -> str:
    """The text of a file written by hand: at most LARGEST bytes are read."""
    try:
        data = read_bounded(path, LARGEST)
    except NotText as error:
        raise NotText(f"{error}, the most Accord reads of a file written by hand") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotText(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}): save it as UTF-8"
        ) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """The TOML document in a file written by hand, its size and depth checked."""
    return parse_toml(read_text(path))


def parse_toml(text: str) -> dict[str, Any]:
    """A TOML document, its nesting checked before and after it is parsed."""
    _scan(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise NotText(f"not valid TOML: {error}") from None
    deepest = _deepest(data)
    if deepest is not None:
        raise NotText(_too_deep(_place(deepest)))
    return data


def _too_deep(where: str) -> str:
    return f"nested too deep (at {where}): Accord reads tables and lists nested at most {DEEPEST} levels deep"


# What the scan stops at: a whole string (quoted keys too), a comment, or a
# character that opens, closes or separates tables, lists and keys. A quote
# that opens no whole string ends the scan: tomllib says what is wrong there.
_TOKEN = re.compile(
    r'''"""(?:[^"\\]|\\.|""?(?!"))*+"{3,5}
      | \'\'\'(?:[^']|''?(?!'))*+'{3,5}
      | "(?:[^"\\\n]|\\.)*+"
      | '[^'\n]*+'
      | \#[^\n]*+
      | ["']
      | [][{}.=,\n]''',
    re.DOTALL | re.VERBOSE,
)


def _scan(text: str) -> None:
    """Refuse, at its line and column, the first place where tables and lists
    nest deeper than DEEPEST: by brackets, braces, dotted keys and table
    headers. It counts no deeper than tomllib will; it may count less (after
    `[[a]]`, the header `[a.b]` is a level deeper than it looks), which the
    check of the parsed document then finds."""
    nesting = _Nesting()
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark in ('"', "'"):
            return
        if mark[0] not in "\"'#" and nesting.read(mark, text.startswith(mark * 2, token.start())) > DEEPEST:
            raise NotText(_too_deep(_line_and_column(text, token.start())))


@dataclass
class _Open:
    """A table, list or inline table open where the scan is: its level, and
    the parts of the key whose value is being read in it (a.b.c: three)."""

    level: int
    parts: int = 1
    inline: bool = False


class _Nesting:
    """Where the scan is: in a key, a value, a table header, or past the end
    of one; and the table, lists and inline tables open there."""

    def __init__(self) -> None:
        self.state = "key"
        self.opened = [_Open(0)]  # the table the lines below the last header fill, and what is open in it
        self.array = False  # whether the header being read is [[...]]

    def read(self, mark: str, doubled: bool) -> int:
        """Take one mark (`doubled`: followed by another such); the level it reaches."""
        top = self.opened[-1]
        if mark == "\n" and len(self.opened) == 1:
            self.state, top.parts = "key", 1
        elif self.state == "header":
            return self._header(mark, top)
        elif self.state == "key":
            return self._key(mark, top, doubled)
        elif self.state == "value":
            return self._value(mark, top)
        return 0

    def _header(self, mark: str, table: _Open) -> int:
        if mark == ".":
            table.parts += 1
            return table.parts
        if mark == "]":
            self.state = "past"
            self.opened[0] = _Open(table.parts + self.array)
            return self.opened[0].level
        return 0

    def _key(self, mark: str, top: _Open, doubled: bool) -> int:
        if mark == ".":
            top.parts += 1
            return top.level + top.parts - 1
        if mark == "=":
            self.state = "value"
        elif mark == "[" and len(self.opened) == 1:
            self.state, self.array = "header", doubled
            top.parts = 1
        elif mark == "}" and top.inline:  # an empty inline table
            self.opened.pop()
            self.state = "value"
        return 0

    def _value(self, mark: str, top: _Open) -> int:
        if mark in "[{":
            # A list's items are one level inside it (a list's parts stay 1); a key's value, past its dotted tables.
            level = top.level + top.parts
            self.opened.append(_Open(level, inline=mark == "{"))
            if mark == "{":
                self.state = "key"
            return level
        if mark in "]}" and len(self.opened) > 1:
            self.opened.pop()
        elif mark == "," and top.inline:
            self.state, top.parts = "key", 1
        return 0


def _line_and_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - text.rfind(chr(10), 0, offset)}"


def _deepest(data: dict[str, Any]) -> list[str | int] | None:
    """The keys to the first table or list nested deeper than DEEPEST, if any."""
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        value, keys = stack.pop()
        if len(keys) > DEEPEST:
            return keys
        if isinstance(value, dict):
            stack.extend((item, [*keys, key]) for key, item in value.items() if isinstance(item, dict | list))
        elif isinstance(value, list):
            stack.extend((item, [*keys, index]) for index, item in enumerate(value) if isinstance(item, dict | list))
    return None


def _place(keys: list[str | int]) -> str:
    """Keys as a file writes them to reach a value: people."desk:TN".email[1]."""
    place = ""
    for key in keys:
        if isinstance(key, int):
            place += f"[{key}]"
        else:
            shown = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'
            place += f".{shown}" if place else shown
    return place if len(place) <= 80 else place[:79] + "…"
