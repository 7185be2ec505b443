"""How a report's table is laid out on paper (workflows.reports.html._on_paper):
upright while it fits, else on a page turned, its optional columns left
out the first first, and at last its dates and amounts wrapping."""

from __future__ import annotations

from workflows.reports.html import Paper, _on_paper, _table
from workflows.reports.model import Table


def dated(columns: int, optional: list[str] | None = None) -> Table:
    names = [f"due_on_{n}" for n in range(columns)]
    return Table("Dates", names, [dict.fromkeys(names, "2021-06-01")], optional=optional or [])


def test_a_narrow_table_is_printed_upright() -> None:
    assert _on_paper(dated(5)) == Paper()


def test_a_table_too_wide_upright_is_printed_on_a_page_turned() -> None:
    assert _on_paper(dated(12)) == Paper("turned")


def test_a_table_too_wide_turned_leaves_out_its_optional_columns_the_first_first() -> None:
    table = dated(18, optional=["due_on_0", "due_on_1", "due_on_2", "due_on_3"])

    assert _on_paper(table) == Paper("turned", frozenset({"due_on_0", "due_on_1"}))
    html = _table(table)
    assert "Left out on paper, for width: Due on 0, Due on 1 (the HTML report has every column)." in html
    assert '<th scope="col" class="unprinted">Due on 0</th>' in html


def test_a_table_too_wide_with_nothing_left_to_leave_out_lets_its_dates_wrap() -> None:
    assert _on_paper(dated(30)) == Paper("turned tight")
    assert _table(dated(30)).startswith('<div class="turned tight">\n<h3>Dates</h3>')
