"""The one reader of TOML written by hand: whatever the text, it gives the
document or refuses it in a sentence (never another error), and it refuses
exactly the documents nested deeper than 32 levels, however they nest."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.base.textfile import DEEPEST, NotText, parse_toml

KEYS = st.text(alphabet="ab.[]{}\"'#= ", min_size=1, max_size=4)
SCALARS = st.one_of(st.integers(-(2**63), 2**63 - 1), st.booleans(), st.floats(allow_nan=False), st.text(max_size=8))


def nested(depth: int) -> st.SearchStrategy[Any]:
    """Values whose tables and lists nest up to `depth` levels."""
    if depth == 0:
        return SCALARS
    inner = nested(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=2),
        st.dictionaries(KEYS, inner, max_size=2),
    )


def chain(depth: int) -> st.SearchStrategy[Any]:
    """A value nested exactly `depth` levels, along a single path."""
    if depth == 0:
        return SCALARS
    inner = chain(depth - 1)
    return st.one_of(inner.map(lambda value: [value]), st.tuples(KEYS, inner).map(lambda item: dict([item])))


def levels(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(levels, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(levels, value), default=0)
    return 0


def quoted(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    return '"' + "".join(f"\\u{ord(c):04x}" if c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text) + '"'


def toml(value: Any) -> str:
    """A value as TOML, in inline tables and arrays, strings as JSON writes them (valid TOML)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quoted(k)} = {toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return quoted(value) if isinstance(value, str) else str(value)


def document(data: dict[str, Any], dotted: bool) -> str:
    """A document of key/value lines; a table whose values are tables may
    be written with dotted keys instead (a.b.c = 1)."""
    lines = []
    for name, value in data.items():
        path = [quoted(name)]
        while dotted and isinstance(value, dict) and len(value) == 1:
            [(inner, value)] = value.items()
            path.append(quoted(inner))
        lines.append(f"{'.'.join(path)} = {toml(value)} # [{{")
    return "\n".join(lines) + "\n"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, nested(4), max_size=3), st.booleans())
def test_a_document_within_the_bound_reads_as_tomllib_reads_it(data: dict[str, Any], dotted: bool) -> None:
    text = document(data, dotted)

    assert parse_toml(text) == tomllib.loads(text) == data


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(DEEPEST - 2, DEEPEST + 3).flatmap(chain), st.booleans())
def test_a_document_is_refused_exactly_when_it_nests_deeper_than_32(value: Any, dotted: bool) -> None:
    data = {"top": value}
    text = document(data, dotted)

    if levels(value) <= DEEPEST:
        assert parse_toml(text) == data
    else:
        with pytest.raises(NotText, match=r"^nested too deep \(at .*\): Accord reads tables and lists nested at most"):
            parse_toml(text)


PIECES = [*"ab=.,[]{}\"'#\\\n \t1", '"""', "'''", "[[", "]]", "x = ", "\n[a.b]\n"]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_any_text_is_a_document_or_a_sentence(text: str) -> None:
    text *= 40
    try:
        parse_toml(text)
    except NotText as error:
        assert str(error).startswith(("not valid TOML: ", "nested too deep (at "))
        if str(error).startswith("nested too deep (at line"):
            # The scan counts no deeper than tomllib: what it refuses is too deep, or no TOML at all.
            try:
                document = tomllib.loads(text)
            except (tomllib.TOMLDecodeError, RecursionError):
                return
            assert levels(document) - 1 > DEEPEST
