"""Shared by the domain's unit tests: a fixed recording moment and a stamp factory."""

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count

import pytest

from domain.values import Stamp

# Every fact in these tests is recorded at this moment unless a test says otherwise.
MOMENT = datetime(2021, 6, 6, 12, tzinfo=UTC)


@pytest.fixture
def stamp() -> Callable[..., Stamp]:
    """Make a stamp at MOMENT; each call gets a fresh key unless one is given."""
    keys = count(1)

    def make(key: str | None = None, *, at: datetime = MOMENT, actor: str = "analyst") -> Stamp:
        return Stamp(actor, at, key or f"key-{next(keys)}")

    return make
