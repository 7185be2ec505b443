"""What is asked of the people view: the names written most."""

from __future__ import annotations

from typing import Any

from workflows.projections.base import Queries

# Names a form offers to pick: those written most, to this many.
OFFERED = 500


class PeopleQueries(Queries):
    view = "people"

    def names(self, most: int = OFFERED) -> list[dict[str, Any]]:
        """The names the record holds, those written most first (then by
        name), each with how many facts name it (facts)."""
        return self.db.query(
            f"SELECT name, COUNT(*) AS facts FROM {self.table} GROUP BY name ORDER BY facts DESC, name LIMIT ?",
            (most,),
        )
