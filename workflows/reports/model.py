"""The shape every report has: a title, key figures and tables of rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass
class Report:
    title: str
    subtitle: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
