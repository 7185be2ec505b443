"""`accord report ... --format html`: one self-contained page, with the
portfolio's charts drawn as inline SVG that a real browser renders cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import accord, submit_rows
from tests.integration.test_funding import COMMITMENTS, DISBURSEMENTS

pytestmark = pytest.mark.integration

PARTNERS = ["AL", "BA", "LY", "MA", "MR", "RS", "TN", "TR"]
CHARTS = [
    "Funding committed, disbursed and against the target",
    "Timeline of visits, dialogue rounds and meetings",
    "Open tasks by due week",
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: install Debian's with `apt-get install -y chromium`"
)


@pytest.fixture
def funded(demo_db: str) -> str:
    """The demo, with funding committed and disbursed on TN and MA."""
    for rows in (COMMITMENTS, DISBURSEMENTS):
        result = submit_rows(demo_db, *rows)
        assert result.exit_code == 0, result.output
    return demo_db


def written(db: str, path: Path, *args: str) -> str:
    result = accord(db, "report", *args, "--format", "html", "-o", str(path))
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport"' in page
    assert "@media print" in page
    assert not re.search(r"https?://", page), "the page refers to something on the network"
    assert not re.search(r"<script|<link|<img|<iframe|url\(|@import", page, re.IGNORECASE)


def test_the_portfolio_page_is_self_contained_with_three_named_charts(funded: str, tmp_path: Path) -> None:
    page = written(funded, tmp_path / "r.html", "portfolio")

    assert_self_contained(page)
    for title in CHARTS:
        assert f'<svg class="chart" role="img" aria-label="{title}"' in page
        assert f"<title>{title}</title>" in page
    assert page.count("<desc>") == 3
    assert page.count("<summary>The data of this chart</summary>") == 3
    assert "<dt>Partnerships</dt><dd>8</dd>" in page
    assert "<dt>Funding committed</dt><dd>EUR 6,750,000.60, USD 400,000</dd>" in page
    assert "6,250,000.60 of 8,000,000,000 target (0.08%)" in page
    for code in PARTNERS:
        assert f'<h2 id="partner-{code}">' in page
        assert f'href="#partner-{code}"' in page
    assert '<h2 id="partner-TN">Partnership with Tunisia (TN)</h2>' in page


def test_text_from_the_store_is_escaped(funded: str, tmp_path: Path) -> None:
    note = {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-06-07", "text": "<b>bold</b> & co"}
    assert submit_rows(funded, note).exit_code == 0

    page = written(funded, tmp_path / "r.html", "partnership", "TN")

    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page


@pytest.mark.parametrize(
    "args",
    [("partnership", "tn"), ("funding",), ("briefing", "jha-council-2021-06-07")],
    ids=["partnership", "funding", "briefing"],
)
def test_the_other_reports_render_as_self_contained_pages(funded: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    page = written(funded, tmp_path / "r.html", *args)

    assert_self_contained(page)
    assert page.count("<h1>") == 1
    assert "<table>" in page


def test_the_partnership_page_carries_its_timeline_and_tasks_by_week(funded: str, tmp_path: Path) -> None:
    page = written(funded, tmp_path / "r.html", "partnership", "TN")

    assert '<svg class="chart" role="img" aria-label="Timeline of visits, dialogue rounds and meetings"' in page
    assert '<svg class="chart" role="img" aria-label="Open tasks by due week"' in page
    assert "<dt>Open commitments (EU)</dt>" in page


def chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
    command += ["--virtual-time-budget=3000", "--window-size=1280,2000", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_lines(stderr: str) -> list[str]:
    # Chromium logs console.error, console.log and uncaught errors alike as
    # `INFO:CONSOLE...` lines, so a level cannot be told from the line: the
    # page runs no script, and any console line at all is a failure.
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


@needs_chromium
def test_the_console_check_catches_an_error_the_page_logs(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><p>x</p><script>console.error("deliberate"); nowhere();</script>')

    run = chromium(page, "--dump-dom")

    assert any("deliberate" in line for line in console_lines(run.stderr)), run.stderr
    assert any("Uncaught ReferenceError" in line for line in console_lines(run.stderr)), run.stderr


@needs_chromium
def test_a_headless_browser_renders_the_portfolio_and_its_charts_without_errors(funded: str, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    written(funded, page, "portfolio")
    screenshot = tmp_path / "page.png"

    shot = chromium(page, f"--screenshot={screenshot}")
    dom = chromium(page, "--dump-dom")

    assert shot.returncode == 0, shot.stderr
    assert console_lines(shot.stderr) == []
    assert screenshot.exists() and screenshot.stat().st_size > 50_000
    assert dom.returncode == 0, dom.stderr
    assert console_lines(dom.stderr) == []
    assert len(re.findall(r'<svg class="chart" role="img"', dom.stdout)) == 3
    for title in CHARTS:
        assert f'aria-label="{title}"' in dom.stdout
