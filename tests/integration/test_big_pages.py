"""Every HTML report of a portfolio of 100,000 events (the benchmark's
synthetic one, 200 partnerships, on SQLite), drawn by headless Chromium to a
screenshot: the pages stay light and draw quickly enough to read. With
ACCORD_SCREENSHOTS=folder the screenshots are kept there, to look at."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import accord

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium on PATH: install Debian's with `apt-get install -y chromium`"
    ),
]

ROOT = Path(__file__).parents[2]
EVENTS = 100_000
# Read as the suite starts: each test runs without the ACCORD_* variables (tests/conftest.py).
SCREENSHOTS = os.environ.get("ACCORD_SCREENSHOTS")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    folder = tmp_path_factory.mktemp("big")
    db = str(folder / "accord.db")
    files = bench.write_files(folder, bench.synthetic(bench.PARTNER_CODES[:200], EVENTS, 1), "portfolio")
    assert accord(db, "init").exit_code == 0
    for path in files:
        assert accord(db, "submit", "--file", str(path)).exit_code == 0
    assert accord(db, "partners").exit_code == 0  # the follower and the views catch up
    yield db


def drawn(page: Path, shot: Path) -> None:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    command += [f"--user-data-dir={page.parent / 'chromium'}", "--window-size=1280,4000", f"--screenshot={shot}"]
    done = subprocess.run([*command, page.as_uri()], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and shot.stat().st_size > 50_000, done.stderr[-2000:]


@pytest.mark.parametrize(
    ("args", "most"),
    [
        (("portfolio",), 1_000_000),  # the page a head of unit opens: its target
        (("funding",), 3_000_000),  # the whole ledger, every funding line
        (("partnership", "AD"), 1_000_000),
    ],
    ids=["portfolio", "funding", "partnership"],
)
def test_each_page_of_a_big_portfolio_stays_light_and_is_drawn(
    big: str, tmp_path: Path, args: tuple[str, ...], most: int
) -> None:
    page = tmp_path / f"{args[0]}.html"
    result = accord(big, "report", *args, "--format", "html", "-o", str(page))
    assert result.exit_code == 0, result.output

    assert page.stat().st_size < most, f"{page.name}: {page.stat().st_size:,} bytes"
    shot = Path(SCREENSHOTS) / f"{args[0]}.png" if SCREENSHOTS else tmp_path / f"{args[0]}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    drawn(page, shot)
    text = page.read_text()
    assert "e+" not in "".join(text.split("<svg")[0::2])  # no amount in exponent notation outside the charts
    assert "migration_governance" not in text
