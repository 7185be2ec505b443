"""The command line behaves as Unix tools do: a reader that goes away ends
it quietly, Ctrl-C says what was stored, `-o -` is standard output, files
written on Windows (a byte-order mark) are read, an unreadable file is one
sentence, and a sealed head is checked for its form before the log."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import accord, as_json, initialised, jsonl, stored_count, visit
from tests.receivers import on_a_terminal

pytestmark = pytest.mark.integration

ACCORD = str(Path(sys.executable).with_name("accord"))


def run(db: str, *args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ACCORD_DB": db, "ACCORD_ACTOR": "tester"}
    return subprocess.Popen([ACCORD, *args], env=env, stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]


@pytest.fixture
def busy(tmp_path: Path) -> str:
    """A SQLite store whose task list runs to far more than a pipe holds."""
    db = initialised(str(tmp_path / "accord.db"))
    rows = [{"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-15"}]
    rows += [visit("TN", 1 + n % 28, id=f"visit-{n}") for n in range(2000)]
    (tmp_path / "busy.jsonl").write_text(jsonl(rows))
    assert accord(db, "submit", "--file", str(tmp_path / "busy.jsonl")).exit_code == 0
    as_json(accord(db, "tasks", "--json"))  # the follower opens them
    return db


@pytest.mark.parametrize(
    "args", [("tasks", "--json", "--status", "all"), ("export", "events"), ("audit", "log", "--json")]
)
def test_a_reader_that_goes_away_ends_the_command_quietly(busy: str, args: tuple[str, ...]) -> None:
    process = run(busy, *args, stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.read(100)
    process.stdout.close()  # as `| head` does

    assert process.wait(timeout=60) == 141  # as a tool SIGPIPE ends: 128 + 13
    assert process.stderr is not None
    assert process.stderr.read() == b""


def test_ctrl_c_during_a_submission_exits_130_saying_nothing_was_stored(tmp_path: Path) -> None:
    db = initialised(str(tmp_path / "accord.db"))
    rows = [{"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-15"}]
    rows += [visit("TN", 1 + n % 28, id=f"visit-{n}") for n in range(60_000)]
    (tmp_path / "many.jsonl").write_text(jsonl(rows))

    process = run(db, "submit", "--file", str(tmp_path / "many.jsonl"), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not Path(f"{db}-wal").exists() and time.monotonic() < deadline:  # the store is opened: the command runs
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)

    assert process.wait(timeout=60) == 130
    assert process.stderr is not None
    assert process.stderr.read().decode().strip() == "accord: interrupted; nothing was stored"
    assert stored_count(db) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("export", "events"),
        ("export", "ics"),
        ("export", "iati"),
        ("report", "portfolio", "--format", "json"),
        ("audit", "replay", "--as-of", "2021-06-01"),
    ],
)
def test_dash_is_standard_output(demo_db: str, args: tuple[str, ...], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    to_dash = accord(demo_db, *args, "-o", "-")
    plain = accord(demo_db, *args)

    assert to_dash.exit_code == 0, to_dash.output
    assert to_dash.stdout and opening(to_dash.stdout) == opening(plain.stdout)
    assert not (tmp_path / "-").exists()


def opening(output: str) -> list[str]:
    """An output's first lines, the moment an IATI file says it was made
    left out: two exports a second apart differ there."""
    return re.sub(r'(generated|last-updated)-datetime="[^"]*"', r'\1-datetime=""', output).splitlines()[:3]


def test_files_with_a_byte_order_mark_are_read(db: str, tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    line = {"type": "PartnershipOpened", "partner": "EG", "occurred_on": "2021-06"}
    (tmp_path / "facts.jsonl").write_bytes(bom + json.dumps(line).encode() + b"\n")
    (tmp_path / "policy.toml").write_bytes(bom + b'[roles]\nfinance = ["alice"]\n')
    rules = Path(__file__).parents[2] / "workflows" / "rules" / "default.toml"
    (tmp_path / "rules.toml").write_bytes(bom + rules.read_bytes())

    assert accord(db, "submit", "--file", str(tmp_path / "facts.jsonl")).exit_code == 0
    assert accord(db, "policy", "check", str(tmp_path / "policy.toml")).exit_code == 0
    assert accord(db, "rules", "check", str(tmp_path / "rules.toml")).exit_code == 0


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'[roles]\nfinance = ["Jos\xe9"]\n', "is not UTF-8 text (byte 0xe9 at offset 23): save it as UTF-8"),
        (b"", "holds no [[rule]]: with it no fact would open a task"),
        (b"# only a comment\nhistory_days = 30\n", "holds no [[rule]]"),
    ],
)
def test_a_rules_file_that_cannot_be_used_exits_2_in_one_sentence(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_bytes(content)

    result = accord(str(tmp_path / "unused.db"), "rules", "check", str(path))

    assert result.exit_code == 2
    assert result.output.startswith(f"accord: {path}: {said}")
    assert result.output.count("\n") == 1


def test_a_policy_file_not_in_utf8_exits_2_in_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b'[roles]\nfinance = ["Jos\xe9"]\n')

    result = accord(str(tmp_path / "unused.db"), "policy", "check", str(path))

    assert result.exit_code == 2
    assert result.output == f"accord: {path}: is not UTF-8 text (byte 0xe9 at offset 23): save it as UTF-8\n"


def test_a_sealed_head_is_checked_for_its_form_and_may_be_given_by_its_first_digits(demo_db: str) -> None:
    digest = as_json(accord(demo_db, "audit", "seal", "--json"))["digest"]

    typo = accord(demo_db, "audit", "verify", "--head", "zzzz", "--no-views")
    short = accord(demo_db, "audit", "verify", "--head", digest[:6], "--no-views")
    prefix = accord(demo_db, "audit", "verify", "--head", digest[:10].upper(), "--no-views")
    unknown = accord(demo_db, "audit", "verify", "--head", "0" * 64, "--no-views")

    assert typo.exit_code == short.exit_code == 2
    assert "is not a digest `audit seal` prints" in typo.output
    assert prefix.exit_code == 0, prefix.output
    assert f"the log extends the sealed head {digest[:10]}" in prefix.output
    assert unknown.exit_code == 3  # well formed, and not in the chain: that is for the auditor


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[str]:
    """The demo store on a filesystem mounted read-only afterwards, as an
    archived copy is (where the machine lets the test mount one)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20M", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a filesystem here ({mounted.stderr.decode().strip() or 'mount refused'})")
    try:
        db = str(folder / "accord.db")
        assert accord(db, "demo").exit_code == 0
        as_json(accord(db, "tasks", "--json"))  # the views current, as an archived store's are
        assert subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True).returncode == 0
        yield db
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_store_on_a_read_only_filesystem_is_read_and_verified_not_written(archived: str) -> None:
    partners = accord(archived, "partners", "--json")
    report = accord(archived, "report", "portfolio", "--format", "json")
    verify = accord(archived, "audit", "verify")
    record = accord(archived, "submit", "PartnershipOpened", "--partner", "EG", "--occurred-on", "2021")

    assert len(as_json(partners)) == 8
    assert as_json(report)["title"] == "Partnership portfolio"
    assert verify.exit_code == 0, verify.output
    # Verify writes nothing, so needs no copy to read it.
    assert "reading a copy" not in verify.stderr
    assert "chain: " in verify.stdout and "verify" in verify.stdout
    assert record.exit_code == 1
    assert "is read-only here (its file, its folder or its filesystem): it can be read and verified" in record.stderr


@pytest.mark.parametrize(
    "args", [("partners",), ("tasks",), ("report", "portfolio"), ("audit", "verify"), ("export", "events")]
)
def test_a_read_with_no_store_exits_1_naming_it_and_makes_none(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "accord.db"

    result = accord(str(db), *args)

    assert result.exit_code == 1
    assert result.stderr == (
        f"accord: there is no store at {db}: `accord init` makes one, `accord demo` one holding the demo's facts "
        "(or set ACCORD_DB to the store you mean)\n"
    )
    assert not db.exists()


def test_a_long_catch_up_shows_progress_on_a_terminal_and_none_when_piped(tmp_path: Path) -> None:
    db = initialised(str(tmp_path / "accord.db"))
    rows = [{"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-15"}]
    rows += [visit("TN", 1 + n % 28, id=f"visit-{n}") for n in range(3000)]
    (tmp_path / "many.jsonl").write_text(jsonl(rows))
    assert accord(db, "submit", "--file", str(tmp_path / "many.jsonl")).exit_code == 0
    piped = accord(db, "partners")  # the follower and the views catch up, silently
    assert "catching up" not in piped.output
    (tmp_path / "more.jsonl").write_text(jsonl(visit("TN", 1 + n % 28, id=f"more-{n}") for n in range(3000)))
    assert accord(db, "submit", "--file", str(tmp_path / "more.jsonl")).exit_code == 0

    assert b"catching up" in on_a_terminal(db, "partners")


def test_each_step_of_a_long_verify_shows_progress_on_a_terminal_and_none_when_piped(tmp_path: Path) -> None:
    db = initialised(str(tmp_path / "accord.db"))
    rows = [{"type": "PartnershipOpened", "partner": "TN", "occurred_on": "2021-01-15"}]
    rows += [visit("TN", 1 + n % 28, id=f"visit-{n}") for n in range(3000)]
    assert accord(db, "submit", "--file", "-", input=jsonl(rows)).exit_code == 0
    assert accord(db, "partners").exit_code == 0  # the views built, to be compared

    shown = on_a_terminal(db, "audit", "verify")
    piped = accord(db, "audit", "verify")

    for step in (b"chain", b"replaying"):
        assert step in shown
    assert b"catching up" not in shown  # verify writes nothing, so catches nothing up
    assert piped.exit_code == 0 and "replaying" not in piped.output and "equal to a fresh replay" in piped.output
