"""The outbox: the files of issued dispatches, for people and for whatever
delivers them (a mail relay, a shared folder).

A dispatch is recorded first (the event is the truth), then its files are
written, each whole (to a temporary name, then renamed), then marked written
in the store. A crash between recording and marking leaves the dispatch
unmarked, and the next tick writes its files again; once marked, files are
never written again, so a consumer may move or delete them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

from domain.dispatch import Dispatch
from workflows.application.clock import Clock
from workflows.escape.filenames import file_part
from workflows.reports import Report, render
from workflows.store.database import Database

TABLE = "accord_outbox"
FORMATS = ((".md", "md"), (".json", "json"))


CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (dispatch_id TEXT PRIMARY KEY, written_at TEXT NOT NULL, files TEXT NOT NULL)"
)


class Outbox:
    """Which dispatches' files are written: its table is made by the first
    it writes (until then none is, and a hot standby may be read)."""

    def __init__(self, db: Database, folder: Path, clock: Clock) -> None:
        self.db = db
        self.folder = folder
        self.clock = clock

    def written(self, ids: Iterable[UUID]) -> set[UUID]:
        """Which of these dispatches have had their files written."""
        if not self.db.has_table(TABLE):
            return set()
        rows = self.db.query_in(
            f"SELECT dispatch_id FROM {TABLE} WHERE dispatch_id IN ({{marks}})", [str(i) for i in ids]
        )
        return {UUID(row["dispatch_id"]) for row in rows}

    def _taken(self, path: Path, dispatch_id: UUID) -> bool:
        """Whether another dispatch's files were written under this name."""
        # The name matched as it is: an escaped name holds % (%C3%A9), which LIKE reads as a wildcard.
        literal = str(path).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.query(
            f"SELECT dispatch_id FROM {TABLE} WHERE files LIKE ? ESCAPE '\\' AND dispatch_id <> ?",
            (f"%{literal}%", str(dispatch_id)),
        )
        return bool(rows)

    def write(self, dispatch: Dispatch) -> list[Path]:
        """Write the dispatch's Markdown and JSON files, then mark them written."""
        self.db.create_table(TABLE, CREATE)
        report = Report.from_dict(dispatch.content)
        folder = self.folder / file_part(dispatch.kind)
        folder.mkdir(parents=True, exist_ok=True)
        # Names made of the record: safe, bounded, apart (workflows.escape.filenames).
        stem = f"{file_part(dispatch.period)}--{file_part(dispatch.recipient)}"
        if self._taken(folder / f"{stem}.md", dispatch.id):
            # Another recipient reads the same ("desk:TN" and "desk-TN"): this one's name in full.
            stem = f"{file_part(dispatch.period)}--{file_part(dispatch.recipient, distinct=True)}"
        paths = []
        for suffix, fmt in FORMATS:
            path = folder / f"{stem}{suffix}"
            partial = folder / f".{stem}{suffix}.partial"
            partial.write_text(render(report, fmt), encoding="utf-8")
            os.replace(partial, path)
            paths.append(path)
        with self.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (dispatch_id, written_at, files) VALUES (?, ?, ?) "
                "ON CONFLICT (dispatch_id) DO NOTHING",
                (str(dispatch.id), self.clock.now().isoformat(timespec="seconds"), ", ".join(map(str, paths))),
            )
        return paths
