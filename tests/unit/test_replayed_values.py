"""A view's rows read from PostgreSQL compare equal to the same rows a
replay holds in SQLite: each value is brought to one form first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from workflows.projections.replayed import plain

ID = "2d5fd1dc-0000-4000-8000-000000000001"


def test_numbers_compare_as_numbers_whatever_type_holds_them() -> None:
    assert plain(Decimal("12500000")) == plain(12500000) == plain(12500000.0) == 12500000
    assert plain(Decimal("0.25")) == plain(0.25) == "0.25"
    assert plain(True) == plain(1) and plain(False) == plain(0)
    assert plain(Decimal("NaN")) == "NaN"


def test_dates_and_moments_compare_as_the_iso_text_sqlite_keeps() -> None:
    assert plain(date(2021, 5, 20)) == plain("2021-05-20")
    assert plain(datetime(2021, 5, 20, 9, 30, tzinfo=UTC)) == plain("2021-05-20T09:30:00+00:00")


def test_text_compares_as_postgresql_holds_it_and_bytes_as_bytes() -> None:
    assert plain("a\x00b") == plain("a\ufffdb")
    assert plain(memoryview(b"\x00\x01")) == plain(b"\x00\x01") == b"\x00\x01"
    assert plain(UUID(ID)) == plain(ID)
    assert plain(None) is None


def test_different_values_stay_different() -> None:
    assert plain("1") != plain(1)
    assert plain(Decimal("1.5")) != plain(Decimal("1.25"))
    assert plain(None) != plain("")
