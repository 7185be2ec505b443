"""Fixtures the integration tests share: the signed-in console (tests/console.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests import console


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A users file to be (not made yet) and the policy, in the test's folder."""
    return console.make_files(tmp_path)


@pytest.fixture
def web(demo_db: str, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client of the console on the demo store, alice, bob and carol its users."""
    yield from console.client(demo_db, files, monkeypatch)
