"""The shape every report has: a title, key figures and tables of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """A cell or figure that is a link: `text`, to `url` (an http(s)
    address already percent-encoded, as the settings make ACCORD_WEB_URL).
    Markdown writes it as an autolink, HTML as an anchor, the rest as the
    address."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.url


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    # Columns a page too narrow for the table leaves out, the first first (paper, as the terminal does).
    optional: list[str] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every cell of every row.
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "figures": dict(self.figures),
            "tables": [{"title": t.title, "columns": list(t.columns), "rows": list(t.rows)} for t in self.tables],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report from `as_dict`'s shape, as kept in an issued dispatch."""
        tables = [Table(t["title"], list(t["columns"]), list(t["rows"])) for t in data.get("tables", [])]
        return cls(data["title"], data.get("subtitle", ""), dict(data.get("figures", {})), tables)
