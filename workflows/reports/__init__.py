"""Reports people read: built from the read models, rendered as Markdown,
JSON or CSV. Each report is a title, key figures and tables."""

from workflows.reports.model import Link, Report, Table
from workflows.reports.render import FORMATS, render

__all__ = ["FORMATS", "Link", "Report", "Table", "render"]
