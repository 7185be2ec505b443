"""On or off track: progress against the straight line from baseline to
target, within the margin the rule file sets (domain.tracking)."""

from decimal import Decimal

import pytest

from domain.tracking import DEFAULT_MARGIN, on_track


@pytest.mark.parametrize(
    ("done", "expected", "margin", "on"),
    [
        ("0.5", "0.5", 10, True),
        ("0.4", "0.5", 10, True),
        ("0.3999", "0.5", 10, False),
        ("0.1", "0.5", 40, True),
        ("0.49", "0.5", 0, False),
        ("1.2", "0.5", 0, True),
    ],
    ids=["on-the-line", "at-the-margin", "just-past-it", "wide-margin", "no-margin", "ahead"],
)
def test_an_indicator_is_on_track_when_no_more_than_the_margin_behind_the_line(done, expected, margin, on):
    assert on_track(Decimal(done), Decimal(expected), margin) is on


def test_the_margin_is_ten_points_unless_said():
    assert DEFAULT_MARGIN == 10
    assert on_track(Decimal("0.4"), Decimal("0.5")) and not on_track(Decimal("0.39"), Decimal("0.5"))
