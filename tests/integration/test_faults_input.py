"""Faults from the outside: fuzzed submissions and a store that cannot be
written. Whatever comes in, Accord either stores exactly what was valid or
exits 2 with a sentence: never a traceback, never part of a batch. Each test
runs on SQLite and on PostgreSQL (`pytest -m faults` runs this suite)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.vocabulary import VOCABULARY
from tests.helpers import accord, initialised, open_partners, stored_facts

pytestmark = [pytest.mark.integration, pytest.mark.faults]

PARTNERS = ["TN", "MA"]

# Values that are sometimes right and often wrong for any field.
scalars = st.one_of(
    st.sampled_from(["TN", "MA", "ZZ", "tn", "", "2021-05-20", "2021-05", "2021", "2021-13-01", "2099-01-01"]),
    st.sampled_from(["EUR 1000", "EUR -5", "1000 EUR", "EUR 1,000.50", "XXX 10", "EUR 1e9", "EUR NaN"]),
    st.sampled_from(["eu", "partner", "member_state", "migration_governance", "exact", "about"]),
    st.text(max_size=30),
    st.integers(min_value=-10, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=8), scalars, max_size=2))


@st.composite
def submission(draw: st.DrawFn) -> dict[str, Any]:
    """A fact of a real type with its fields filled at random (most invalid),
    or now and then something that is not a fact at all."""
    kind = draw(st.sampled_from([*VOCABULARY, "VisitHappened", None]))
    if kind is None:
        return draw(st.dictionaries(st.text(max_size=10), values, max_size=4))
    fields = [name for name in VOCABULARY[kind].model_fields if name != "type"] if kind in VOCABULARY else []
    chosen = draw(st.lists(st.sampled_from(fields), unique=True)) if fields else []
    row: dict[str, Any] = {"type": kind, **{name: draw(values) for name in chosen}}
    if draw(st.booleans()):
        row["partner"] = draw(st.sampled_from(PARTNERS))
        row["occurred_on"] = draw(st.sampled_from(["2021-05-20", "2021-05", "2021"]))
    return row


@pytest.fixture
def store(db: str) -> str:
    return open_partners(db, *PARTNERS)


@settings(
    max_examples=int(os.environ.get("ACCORD_FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(submission(), min_size=1, max_size=4))
def test_a_fuzzed_file_is_stored_whole_or_refused_in_sentences(store: str, batch: list[dict[str, Any]]) -> None:
    before = stored_facts(store)
    text = "".join(json.dumps(row, default=str) + "\n" for row in batch)

    result = accord(store, "submit", "--file", "-", input=text)

    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    after = stored_facts(store)
    if result.exit_code == 2:
        assert after == before, "a refused file stored something"
        assert result.stderr.startswith("accord: ") or "line " in result.stderr
    else:
        # Every line was valid: each is stored now or was before (same key).
        assert 0 <= after - before <= len(batch)
        assert after > before or "already recorded" in result.stdout


def test_a_sqlite_store_that_cannot_be_written_says_so_and_stores_nothing(tmp_path: Path) -> None:
    db = initialised(str(tmp_path / "accord.db"))
    open_partners(db, "TN")
    before = stored_facts(db)
    os.chmod(db, stat.S_IRUSR | stat.S_IRGRP)
    try:
        if os.access(db, os.W_OK):
            pytest.skip("the file stays writable (running as root): the OS does not enforce read-only here")
        line = {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-05-20", "visitors": ["Envoy"]}
        result = accord(db, "submit", "--file", "-", input=json.dumps(line) + "\n")
    finally:
        os.chmod(db, stat.S_IRUSR | stat.S_IWUSR)

    assert result.exit_code == 1
    assert "cannot use the store" in result.stderr or "read" in result.stderr
    assert "Traceback" not in result.output
    assert stored_facts(db) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs of its own, where the machine lets the test mount one."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'mount refused'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_full_disk_is_named_in_a_sentence_and_nothing_is_half_written(small_disk: Path) -> None:
    db = initialised(str(small_disk / "accord.db"))
    open_partners(db, "TN")
    before = stored_facts(db)
    notes = [
        {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-05-20", "text": f"{n} " + "x" * 1900}
        for n in range(3000)
    ]

    result = accord(db, "submit", "--file", "-", input="".join(json.dumps(note) + "\n" for note in notes))

    assert result.exit_code == 1, result.output
    assert "full" in result.stderr
    assert "Traceback" not in result.output
    assert stored_facts(db) == before
    assert accord(db, "audit", "verify", "--no-views").exit_code == 0
