"""A seals file, written and read with no store: a seal a JSON line,
appended and never rewritten; the same seal not appended twice in a row
(a crash between the append and its mark); a line torn by a crash ended,
not continued; and every line that is not a seal named by its number, as
hostile input, the others read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflows.proofs.formats import Seal
from workflows.proofs.seals import SealsUnreadable, append, line_of, read_seals
from workflows.proofs.signed import sign
from workflows.signing.keys import new_signer


def seal(position: int) -> Seal:
    return Seal(position, "4c" * 32, "d8" * 32, position, datetime(2026, 12, 7, 9, 0, position % 60, tzinfo=UTC))


def test_seals_are_appended_a_line_each_and_the_same_seal_is_not_appended_twice(tmp_path: Path) -> None:
    path = tmp_path / "seals.jsonl"
    signed = sign(seal(2), new_signer())

    appended = [append(path, seal(1)), append(path, signed), append(path, signed)]

    assert appended == [True, True, False]
    assert path.read_text() == line_of(seal(1)) + line_of(signed)
    assert [json.loads(line) for line in path.read_text().splitlines()] == [seal(1).as_json(), signed.as_json()]
    assert [line.seal for line in read_seals(str(path)).lines] == [seal(1), signed]


def test_a_line_torn_by_a_crash_is_ended_and_named_and_the_next_seal_read(tmp_path: Path) -> None:
    path = tmp_path / "seals.jsonl"
    path.write_text(line_of(seal(1)) + line_of(seal(2))[:40])

    append(path, seal(3))
    lines = read_seals(str(path)).lines

    assert [line.number for line in lines] == [1, 2, 3]
    assert [line.seal for line in lines] == [seal(1), None, seal(3)]
    assert lines[1].wrong is not None and lines[1].wrong.startswith("line 2 is not JSON: ")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (b"\xff\xfe{}", "line 1 is not UTF-8 text (not a seal)"),
        (b'{"position": 1, "position": 2}', "line 1 gives the key 'position' twice (not a seal)"),
        (b'{"position": NaN}', "line 1 holds NaN, which is not JSON (not a seal)"),
        (b"[1, 2]", "line 1 is not a JSON object (not a seal)"),
        (b"[" * 100_000, "line 1 is longer than 64 KB, more than any seal"),
        (json.dumps(seal(1).as_json() | {"key": "ab" * 8}).encode(), "line 1 is signed in part: it has no "),
    ],
)
def test_a_line_that_is_not_a_seal_is_named_by_its_number(tmp_path: Path, text: bytes, said: str) -> None:
    path = tmp_path / "seals.jsonl"
    path.write_bytes(text + b"\n\n" + line_of(seal(5)).encode())

    lines = read_seals(str(path)).lines

    assert lines[0].seal is None and lines[0].wrong is not None
    assert lines[0].wrong.startswith(said)
    assert (lines[1].number, lines[1].seal) == (3, seal(5))  # the blank line skipped, the next read


def test_a_seals_file_that_cannot_be_read_is_refused_in_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(SealsUnreadable, match=r"the seals file .*missing.jsonl cannot be read: No such file"):
        read_seals(str(tmp_path / "missing.jsonl"))
