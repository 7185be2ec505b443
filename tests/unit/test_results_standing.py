"""The figures standing on the results view's two time axes (its rows as
written, read without a database): within a period and breakdown the last
reported stands, with every version it replaced, as known at any moment."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from workflows.projections.results.queries import DAYS, standing


def at(hour: int) -> datetime:
    return datetime(2021, 6, 7, hour, tzinfo=UTC)


def row(key: str, hour: int, value: str, period: str = "2021-Q1", breakdown: tuple[str, ...] = ()) -> dict:
    last = {"2021-Q1": "2021-03-31", "2021-Q2": "2021-06-30"}[period]
    return {
        **{"indicator": "TN/returns", "kind": "actual", "key": key, "period": period},
        **{"first_day": period[:4] + ("-01-01" if period.endswith("Q1") else "-04-01"), "last_day": last},
        **{"breakdown": json.dumps(list(breakdown)), "value": value, "approximation": "exact", "source": "Frontex"},
        "recorded_at": at(hour).isoformat(),
    }


def amendment(target: str, hour: int, reason: str, changes: dict | None = None) -> dict:
    return {
        "indicator": "TN/returns",
        "target": target,
        "changes": json.dumps(changes) if changes is not None else None,
        "reason": reason,
        "recorded_at": at(hour).isoformat(),
    }


def test_the_last_figure_reported_for_a_period_stands_and_keeps_the_one_it_restated():
    [figure] = standing([row("a", 9, "100"), row("b", 11, "120")], [])

    assert figure.value == Decimal(120)
    assert [(v.value, v.replaced, v.on) for v in figure.earlier] == [(Decimal(100), "restated", at(11))]


def test_each_restated_figure_was_replaced_when_the_next_was_said():
    [figure] = standing([row("a", 9, "100"), row("b", 11, "120"), row("c", 13, "130")], [])

    assert [(v.value, v.on) for v in figure.earlier] == [(Decimal(100), at(11)), (Decimal(120), at(13))]


def test_known_at_a_moment_leaves_out_what_was_reported_and_amended_after_it():
    rows = [row("a", 9, "100"), row("b", 11, "120")]
    fixes = [amendment("a", 10, "typo", {"value": "105"})]

    [then] = standing(rows, fixes, known_at=at(10))
    [before] = standing(rows, fixes, known_at=at(9))

    assert (then.value, [v.replaced for v in then.earlier]) == (Decimal(105), ["corrected"])
    assert (before.value, before.earlier) == (Decimal(100), ())


def test_a_retracted_figure_leaves_the_one_before_it_standing_and_is_shown_beside_it():
    [figure] = standing([row("a", 9, "100"), row("b", 11, "999")], [amendment("b", 12, "another country's")])

    assert figure.value == Decimal(100)
    assert [(v.value, v.replaced, v.reason) for v in figure.earlier] == [
        (Decimal(999), "retracted", "another country's")
    ]


def test_a_correction_of_its_period_moves_a_figure_to_that_period():
    moved = {"period": "2021-Q2", DAYS: ["2021-04-01", "2021-06-30"]}

    figures = standing([row("a", 9, "100"), row("b", 9, "50", "2021-Q2")], [amendment("a", 10, "wrong quarter", moved)])

    [q2] = figures
    assert (q2.period, q2.value) == ("2021-Q2", Decimal(100))
    assert [v.replaced for v in q2.earlier] == ["restated", "corrected"]


def test_each_part_of_a_breakdown_stands_on_its_own():
    figures = standing([row("a", 9, "13000"), row("b", 9, "9000", breakdown=("route: from Libya",))], [])

    assert [(f.breakdown, f.value) for f in figures] == [((), Decimal(13000)), (("route: from Libya",), Decimal(9000))]
