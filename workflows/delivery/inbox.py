"""One person's inbox: the deliveries due to one owner by email in one pass
(a tick's escalations, reminders, digest, reports) as one message, so that
a tick that escalates twenty-five tasks sends their owner one email, not
twenty-five.

The message's id is made of the ids of the deliveries it carries, so the
same deliveries sent again (the first answer lost) are one message to the
receiver; its X-Accord-Deliveries header names them. Each delivery keeps
its own record: the courier records the one send's outcome on every one.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from uuid import uuid5

from domain.base import NAMESPACE
from workflows.delivery.compose import Part
from workflows.delivery.message import Message
from workflows.escape.markdown import md_text
from workflows.reports.html import page

# What a message says first: what is most pressing, then what is for reference.
ORDER = ("escalation", "reminder", "digest", "briefing", "portfolio", "seal")


def inbox_message(owner: str, parts: Sequence[Part]) -> Message:
    """The parts due to `owner` as one message: one part, as its own
    message; several, one after another, escalations first."""
    if len(parts) == 1:
        return parts[0].message
    parts = sorted(parts, key=lambda part: (ORDER.index(part.delivery.about), -_level(part)))
    ids = tuple(str(part.delivery.id) for part in parts)
    titles = "; ".join(part.report.title for part in parts)
    subject = f"Accord for {owner}, {len(parts)} items: {titles}"
    heading = f"{len(parts)} items from Accord for {owner}"
    contents = "\n".join(f"- {md_text(part.report.title)}" for part in parts)
    text = "\n\n---\n\n".join([f"# {md_text(heading)}\n\n{contents}\n", *(part.text for part in parts)])
    return Message(
        id=str(uuid5(NAMESPACE, "inbox/" + ",".join(sorted(ids)))),
        event_type="accord.inbox",
        subject=subject,
        text=text,
        html=page(heading, [f"<h1>{escape(heading)}</h1>", *(line for part in parts for line in ["<hr>", *part.body])]),
        attachments=tuple(attachment for part in parts for attachment in part.attachments),
        deliveries=ids,
    )


def _level(part: Part) -> int:
    return int(part.report.figures.get("level", 0))
