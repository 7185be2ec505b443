"""A report's page printed to PDF by a headless Chromium, as a browser
prints it: the same page, its charts and tables, on A4."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from workflows.base.failures import ToolUnavailable

# Long enough for a page of a big portfolio; a print that takes longer has hung.
PRINT_FOR = 300


def chromium() -> str:
    """The Chromium that prints: ACCORD_CHROMIUM, else the one on PATH."""
    found = os.environ.get("ACCORD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise ToolUnavailable(
            "a PDF is printed by Chromium, and none was found: install it (Debian: apt-get install chromium) "
            "or name it with ACCORD_CHROMIUM"
        )
    return found


def pdf_of(html: str) -> bytes:
    """The page as PDF: its own styles for print, no browser header or footer."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="accord-pdf-") as folder:
        page, printed = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={printed}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_FOR, check=False)
        except subprocess.TimeoutExpired:
            raise ToolUnavailable(f"Chromium did not print the page within {PRINT_FOR} s") from None
        if not printed.is_file() or printed.stat().st_size == 0:
            said = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise ToolUnavailable(f"Chromium did not print the page (exit {done.returncode}): {said}")
        return printed.read_bytes()
