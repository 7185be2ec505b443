"""What the judging pass finds: each record the domain would have refused,
by its position, with a sentence that says why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Findings named one by one; past these, only counted (a store forged
# wholesale would otherwise print a line for each of a million records).
LIMIT = 1_000
# A finding's sentence is cut at this many characters: it quotes the record
# (its actor, its key), and a record written around Accord is bounded by nothing.
LENGTH = 2_000


@dataclass(frozen=True)
class Finding:
    position: int
    problem: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.problem}"

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "problem": self.problem}


@dataclass
class Judgement:
    records: int = 0  # records judged
    findings: list[Finding] = field(default_factory=list)  # the first LIMIT
    unnamed: int = 0  # findings past the first LIMIT, counted
    # Where the log's moments are held in order from (None: nowhere, a
    # store not written since its writers began to keep them so).
    in_order_from: int | None = 1

    def found(self, position: int, problem: str) -> None:
        if len(self.findings) < LIMIT:
            cut = problem if len(problem) <= LENGTH else problem[: LENGTH - 1] + "…"
            self.findings.append(Finding(position, cut))
        else:
            self.unnamed += 1

    @property
    def lawful(self) -> bool:
        return not self.findings
