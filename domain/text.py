"""Text as the record takes it: bounded, and free of the characters that no
output can carry.

Every text field of every event is one of these types, so what is refused
is decided here once, for the command line, files, the console and imports
alike. Refused where it enters, in a sentence naming the character:
controls (C0 and C1, but tab and line feed in text of several lines), a
carriage return (a line break is a line feed), lone surrogates (half a
UTF-16 pair: no UTF-8 writer can encode one), and U+FFFE and U+FFFF (which
XML 1.0 forbids, as it does the controls). A one-line field also refuses
tabs and line breaks (U+2028 and U+2029 included).

The checks judge new text only: a fact read back from the log is read as it
was recorded (domain.recorded), whatever the bounds were then. Text that
Accord derives from facts (a task's title from a rule's template, a
subject) is never refused after the facts were accepted: `fit` makes it fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from domain.recorded import is_recorded

# The bounds, in characters (code points), documented in README and schema.
LINE = 300
TEXT = 2_000
NOTES = 10_000
# A key, an actor, an owner: names that other records and files refer to.
NAME = 200
# Items in one list field (visitors, topics, partners...).
ITEMS = 50

# What no output can carry. Ranges written as escapes: the module stays ASCII.
_NEVER = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
_REFUSED_IN_TEXT = re.compile(f"[{_NEVER}]")
_REFUSED_IN_LINE = re.compile(f"[{_NEVER}\t\n\u2028\u2029]")
# The same sets as JSON Schema patterns (lone surrogates aside: JSON text
# that holds one is refused by JSON parsers before any schema sees it).
_TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\uFFFE\\uFFFF]*$"
_LINE_PATTERN = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029\\uFFFE\\uFFFF]*$"

_NAMES = {
    "\x00": "a NUL character (U+0000)",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return (U+000D; a line break is a line feed alone)",
    "\x1b": "an escape character (U+001B)",
    "\x7f": "a delete character (U+007F)",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
    "\ufffe": "the noncharacter U+FFFE",
    "\uffff": "the noncharacter U+FFFF",
}


def describe_character(char: str) -> str:
    """A character no output can carry, as a sentence names it."""
    if char in _NAMES:
        return _NAMES[char]
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate (U+{ord(char):04X}, half of a UTF-16 pair)"
    return f"a control character (U+{ord(char):04X})"


def problem(text: str, *, one_line: bool, limit: int) -> str | None:
    """Why `text` may not be recorded, in words; None if it may."""
    if len(text) > limit:
        return f"has {len(text):,} characters: at most {limit:,} are taken"
    found = (_REFUSED_IN_LINE if one_line else _REFUSED_IN_TEXT).search(text)
    if found is None:
        return None
    where = found.start()
    if one_line and found.group() in "\n\u2028\u2029":
        return f"holds a line break at character {where + 1:,}: it is one line"
    return f"holds {describe_character(found.group())} at character {where + 1:,}, which no output can carry"


class _Bounds:
    """The bounds as JSON Schema says them (the validator checks them)."""

    def __init__(self, limit: int, one_line: bool) -> None:
        self.limit = limit
        self.one_line = one_line

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        json_schema: JsonSchemaValue = handler(schema)
        json_schema.update(maxLength=self.limit, pattern=_LINE_PATTERN if self.one_line else _TEXT_PATTERN)
        return json_schema


def _checked(limit: int, one_line: bool) -> Callable[[str, ValidationInfo], str]:
    def check(text: str, info: ValidationInfo) -> str:
        if is_recorded(info.context):
            return text
        said = problem(text, one_line=one_line, limit=limit)
        if said is not None:
            raise ValueError(said)
        return text

    return check


# A name or a title: a person, a place, a body, an instrument, a route.
Line = Annotated[str, AfterValidator(_checked(LINE, True)), _Bounds(LINE, True)]
# What was said or agreed, why, what for: free text of several lines.
Text = Annotated[str, AfterValidator(_checked(TEXT, False)), _Bounds(TEXT, False)]
# A fact's notes.
Notes = Annotated[str, AfterValidator(_checked(NOTES, False)), _Bounds(NOTES, False)]
# A key, an actor, an owner: a name other records and files refer to.
Name = Annotated[str, AfterValidator(_checked(NAME, True)), _Bounds(NAME, True)]


class Items:
    """A list field's bounds: checked on new facts (at least `least`, at
    most `most` items), and said in JSON Schema. Placed after the item type:
    `Annotated[tuple[Line, ...], *Items().marks]`."""

    def __init__(self, least: int = 0, most: int = ITEMS) -> None:
        self.least = least
        self.most = most

    @property
    def marks(self) -> tuple[Any, Any]:
        return AfterValidator(self.check), self

    def check(self, items: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        # The least checked here rather than by Field(min_length): pydantic
        # then also says "at least 1 item" of a list whose one item was refused.
        if not items and self.least:
            raise ValueError("at least one is needed")
        if len(items) > self.most and not is_recorded(info.context):
            raise ValueError(f"at most {self.most} items; this has {len(items):,}")
        return items

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        json_schema: JsonSchemaValue = handler(schema)
        json_schema["maxItems"] = self.most
        if self.least:
            json_schema["minItems"] = self.least
        return json_schema


# Names and titles, a few of them (visitors, topics, agencies); at least one.
Lines = Annotated[tuple[Line, ...], *Items().marks]
SomeLines = Annotated[tuple[Line, ...], *Items(least=1).marks]

ELLIPSIS = "…"
REPLACEMENT = "\ufffd"
_ANY_REFUSED = re.compile(f"[{_NEVER}]")
_SPACES = re.compile(f"[\\s{_NEVER}]+")


def fit(text: str, limit: int, *, one_line: bool = True) -> str:
    """Derived text made to fit a field: what no output can carry replaced
    (by a space on one line, else by U+FFFD), and shortened to `limit`
    characters with an ellipsis. Never refuses."""
    text = _SPACES.sub(" ", text).strip() if one_line else _ANY_REFUSED.sub(REPLACEMENT, text.replace("\r\n", "\n"))
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def text_fields(model: Any) -> tuple[str, ...]:
    """The fields of an event model (a pydantic class) that hold text people
    wrote: lines, texts, notes, names, and lists of lines; what a search
    of the record reads. Codes, references, dates and amounts are not text."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if any(isinstance(mark, _Bounds | Items) for mark in field.metadata)
    )
