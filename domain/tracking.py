"""Whether an indicator is on track: its progress from baseline to target
against the straight line between them, within a margin. Pure: the rules
(the margin is a setting of the rule file) and the results report decide
by the same function."""

from __future__ import annotations

from decimal import Decimal

# How far behind the straight line an indicator may be, in points of the
# way (10: ten per cent of the way), and still be on track.
DEFAULT_MARGIN = 10
LARGEST_MARGIN = 100


def on_track(done: Decimal, expected: Decimal, margin: int = DEFAULT_MARGIN) -> bool:
    """`done` and `expected` are shares of the way (0.5 for half); on track
    when `done` is no more than `margin` points behind `expected`."""
    return done >= expected - Decimal(margin) / 100
