"""Any report as a PDF (`--format pdf`, the HTML page printed by a headless
Chromium), its pages turned into images to check that they show the report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import accord

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="no chromium on PATH: install Debian's with `apt-get install -y chromium`",
    ),
]


@pytest.mark.parametrize(
    ("args", "heading"),
    [
        (("portfolio",), "Partnership portfolio"),
        (("partnership", "TR"), "Partnership with Türkiye (TR)"),
        (("funding",), "Funding"),
        (("briefing", "jha-council-2021-06-07"), "Justice and Home Affairs Council"),
    ],
)
def test_each_report_prints_to_a_pdf_whose_pages_show_it(
    demo_db: str, tmp_path: Path, args: tuple[str, ...], heading: str
) -> None:
    import pymupdf

    printed = tmp_path / "report.pdf"
    result = accord(demo_db, "report", *args, "--format", "pdf", "-o", str(printed))

    assert result.exit_code == 0, result.output
    assert printed.read_bytes().startswith(b"%PDF-")
    with pymupdf.open(printed) as document:
        assert document.page_count >= 1
        first = document[0]
        assert heading in first.get_text()
        assert abs(first.rect.width - 595) < 2 and abs(first.rect.height - 842) < 2  # A4, in points
        image = first.get_pixmap(dpi=50, colorspace=pymupdf.csGRAY)
        inked = sum(1 for value in image.samples if value < 200)
        assert inked > image.width * image.height // 100, "the first page is all but blank"


def test_the_printed_portfolio_opens_with_its_overview_and_gives_each_partnership_its_pages(
    demo_db: str, tmp_path: Path
) -> None:
    import pymupdf

    printed = tmp_path / "portfolio.pdf"
    assert accord(demo_db, "report", "portfolio", "--format", "pdf", "-o", str(printed)).exit_code == 0

    with pymupdf.open(printed) as document:
        text = document[0].get_text()
        assert "Overview" in text and "Open tasks" in text  # not a title page alone
        assert any("Partnership with Tunisia (TN)" in page.get_text() for page in document)
