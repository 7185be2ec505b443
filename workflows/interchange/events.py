"""Events out, in the very shape `submit --file` reads them back: one JSON
object a line, the fact's own fields, its type, and its key as `id` (so a
line imported twice is recorded once, as here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from domain.base import ENVELOPE, Submitted
from domain.codes import partner_code
from workflows.application.service import Accord
from workflows.audit.log import shared_naming


def export_events(
    app: Accord, *, partner: str | None = None, since: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Every recorded fact, and every correction and retraction of one, in
    the order recorded: on one partnership
    (and the shared facts naming it) if `partner`, recorded at or after
    `since` if given. The tasks are not exported: the rules open them again
    wherever the facts are imported."""
    code = partner_code(partner) if partner else None
    shared = shared_naming(app, code) if code else set()
    for _, event in app.readable(app.notifications()):
        if not isinstance(event, Submitted):
            continue
        if since is not None and event.timestamp < since:
            continue
        if code and getattr(event, "partner", None) != code and event.originator_id not in shared:
            continue
        yield {"type": type(event).__name__, "id": event.key, **event.model_dump(mode="json", exclude=set(ENVELOPE))}
