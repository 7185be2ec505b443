"""The read models Accord keeps beside its events.

A view's code imports the domain, whose models cost more to import than the
rest of a command. The catalog names every view and its version without
importing it, so that a command that only reads can tell that the views are
current, and read their tables, without the domain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventsourcing.utils import resolve_topic

if TYPE_CHECKING:
    from workflows.projections.base import View

# Every view by name: its version, and its class. Bump a view's version when
# its tables change shape or what it writes changes: it is then rebuilt on
# next use.
CATALOG: dict[str, tuple[int, str]] = {
    # 2: a deferral clears the reminder and the escalation level. 3: indexed
    # by partner (a portfolio page asks each partnership's open tasks).
    "tasks": (3, "workflows.projections.tasks.view:TaskList"),
    # 2: decommitments (a column of what they took off, `committed` net of them).
    # 3: each commitment, disbursement and decommitment on its day (moves).
    # 4: increases (FundingIncreased) add to a line's commitment, each a move.
    "funding": (4, "workflows.projections.funding.view:FundingLedger"),
    # 2: partners' latest facts moved to the timeline. 3: the last day a
    # meeting known to the month or year may be held on (held_on_last).
    "meetings": (3, "workflows.projections.meetings.view:Meetings"),
    # 2: increases (FundingIncreased) add to what is committed.
    "partnerships": (2, "workflows.projections.partnerships.view:PartnershipOverview"),
    # 2: sentences, not fields (workflows.sentences); each fact's aggregate
    # and version, by which a task names the fact it follows up. 3: a
    # meeting, initiative or dialogue said by its name, not its reference.
    # 4: each meeting's, initiative's and dialogue's reference beside its
    # name (the record forms offer them to pick).
    "timeline": (4, "workflows.projections.timeline.view:Timeline"),
    # 2: indexed by source (a task's page lists the messages about it).
    "deliveries": (2, "workflows.projections.deliveries.view:Deliveries"),
    "rates": (1, "workflows.projections.rates.view:Rates"),
    # 2: each row's partners and type in the index (a search narrowed to
    # them finds its rows there), its day beside it. 3: on PostgreSQL,
    # each row's span of positions in its document (a search walks them
    # newest first: search.tables).
    "search": (3, "workflows.projections.search.view:Search"),
    "people": (1, "workflows.projections.people.view:People"),
    # The indicators, and every figure reported on them with when it was known.
    "results": (1, "workflows.projections.results.view:Results"),
}


def load_views() -> list[View]:
    """One instance of every view in the catalog, its code imported now."""
    return [resolve_topic(topic)() for _, topic in CATALOG.values()]
