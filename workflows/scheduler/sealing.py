"""The day's seal of the record, published by the scheduler: made and
signed with the scheduler's own key (ACCORD_KEY), recorded as a dispatch
(once a day, as a digest is: its identity is ("seal", "auditors", the
day)), delivered to the auditors the directory names, and appended to the
seals file ACCORD_SEALS names.

The seal is in the dispatch's content beside its report, so that a
delivery sent again, and an append done again after a crash, carry the
very seal recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.dispatch import Dispatch
from workflows.application.service import Accord
from workflows.proofs.formats import Seal, parse_seal
from workflows.proofs.make import seal
from workflows.proofs.seals import append
from workflows.reports import Report

AUDITORS = "auditors"


@dataclass
class SealReport(Report):
    """A seal as a report people read, the seal itself kept beside it."""

    seal: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "seal": self.seal}


def seal_report(app: Accord) -> Report:
    """A seal of the record now, signed by this process's key, as a report."""
    sealed = seal(app, app.clock.now())
    signed = f"signed by key {sealed.key}" if sealed.signed else "not signed (the scheduler has no key)"
    return SealReport(
        f"Seal of the record at position {sealed.position}",
        f"The chain's head, the Merkle root over the {sealed.records:,} records up to it, {signed}. "
        "Keep it: `accord audit check-seal` checks its signature, `accord audit verify --seals` the log against it.",
        sealed.as_json(),
        [],
        seal=sealed.as_json(),
    )


def sealed_in(dispatch: Dispatch) -> Seal:
    """The seal a seal's dispatch recorded."""
    return parse_seal(dispatch.content.get("seal"), f"the seal of dispatch {dispatch.id}")


def append_sealed(dispatch: Dispatch, seals: str) -> bool:
    """Append a seal's dispatch's seal to the seals file, once: False when it is there already."""
    return append(Path(seals), sealed_in(dispatch))
