"""The sentences of what Accord records itself: a task's life, the
deliveries that tell people, the documents it issues, and the keys that
may write the record, and the exchange rates people import; and the
proposals, approvals and delegations of the four-eyes circuit."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from workflows.sentences.words import as_of, cut, day, words_of

State = Mapping[str, Any]

KINDS = {
    "digest": "Daily digest",
    "portfolio": "Weekly portfolio report",
    "briefing": "Briefing",
    "seal": "Seal of the record",
}
# What a delivery tells.
ABOUT = {"reminder": "Reminder", "escalation": "Escalation", **KINDS}
# The outcome the follower records when a later fact makes a task moot
# (workflows.application.follower): "moot: MeetingHeld on 2021-06".
_MOOT = re.compile(r"^moot: ([A-Za-z]+) on (.+)$")


def _then(text: Any) -> str:
    return f": {cut(text)}" if text else ""


def task_opened(s: State) -> str:
    return f"Task opened for {cut(s['owner'], 60)}: {cut(s['title'])}, due {day(s['due_on'])}"


def task_assigned(s: State) -> str:
    return f"Task assigned to {cut(s['owner'], 60)}"


def task_deferred(s: State) -> str:
    return f"Task deferred to {day(s['due_on'])}" + _then(s.get("reason"))


def task_revised(s: State) -> str:
    said = f"Task revised to {cut(s['title'])}, due {day(s['due_on'])}"
    return said + (f" ({cut(s['reason'], 60)})" if s.get("reason") else "")


def task_completed(s: State) -> str:
    return "Task completed" + _then(outcome(s.get("outcome")))


def outcome(text: Any) -> str:
    """What closed a task, in words: a fact that made it moot is named as one."""
    moot = _MOOT.match(str(text or ""))
    if moot is None:
        return str(text or "")
    return f"made moot by a {words_of(moot.group(1))} ({day(moot.group(2))})"


def task_cancelled(s: State) -> str:
    return "Task cancelled" + _then(s.get("reason"))


def reminder_sent(s: State) -> str:
    return f"Reminder sent on {day(s['on'])}"


def task_escalated(s: State) -> str:
    return f"Task escalated to level {s['level']}"


def delivery_requested(s: State) -> str:
    about = ABOUT.get(s["about"], "Message")
    return f"{about} for {cut(s['owner'], 60)} to be sent by {s['channel']}"


def delivered(s: State) -> str:
    replied = f", the server replying {cut(s['reply'], 80)}" if s.get("reply") else ""
    return f"Delivered at attempt {s['attempt']}{replied}"


def delivery_failed(s: State) -> str:
    said = f"Attempt {s['attempt']} to deliver failed" + _then(s.get("reason"))
    retry = s.get("retry_at")
    return said + (f"; to be tried again at {as_of(retry)}" if retry else "; not to be tried again")


def delivery_retried(s: State) -> str:
    return "Delivery tried again" + _then(s.get("reason"))


def dispatch_issued(s: State) -> str:
    kind = KINDS.get(s.get("kind", ""), "Document")
    return f"{kind} issued to {cut(s['recipient'], 60)}" + _then(s.get("title"))


def key_enrolled(s: State) -> str:
    return f"Signing key of {cut(s['holder'], 60)} enrolled, with the role {s['role']}"


def key_revoked(s: State) -> str:
    return "Signing key revoked" + _then(s.get("reason"))


# The rates a day's sentence names; the others are counted.
RATES_SHOWN = 3


def rates_published(s: State) -> str:
    rates = list(s["rates"].items())
    shown = ", ".join(f"{rate} {code}" for code, rate in rates[:RATES_SHOWN])
    more = f" and {len(rates) - RATES_SHOWN} more" if len(rates) > RATES_SHOWN else ""
    return (
        f"Exchange rates of {day(s['published_on'])} published by {cut(s['source'], 80)}: 1 {s['base']} = {shown}{more}"
    )


def fact_proposed(s: State) -> str:
    from workflows.sentences.facts import FACTS
    from workflows.sentences.words import Said

    say = FACTS.get(str(s["type"]))
    try:
        what = say(Said(s["submission"])) if say else f"A {words_of(str(s['type']))}"
    except (KeyError, TypeError, ValueError):
        what = f"A {words_of(str(s['type']))}"
    needs = f"{s['approvals']} approvals" if s["approvals"] > 1 else "the approval"
    return f"Proposed, awaiting {needs} of {s['role']}: {what}"


def _by(s: State) -> str:
    """Who decided, and for whom as a delegate: "by bob, acting for erik,"."""
    who = f"by {cut(s['actor'], 60)}"
    return f"{who}, acting for {cut(s['acting_for'], 60)}," if s.get("acting_for") else who


def fact_approved(s: State) -> str:
    return f"Proposal approved {_by(s)} as {s['role']}"


def fact_rejected(s: State) -> str:
    return f"Proposal rejected {_by(s)}".rstrip(",") + _then(s.get("reason"))


def delegation_granted(s: State) -> str:
    return (
        f"{cut(s['delegate'], 60)} may act for {cut(s['grantor'], 60)} as {s['role']} "
        f"from {day(s['starts_on'])} to {day(s['ends_on'])}"
    )


def delegation_revoked(s: State) -> str:
    return f"Delegation revoked by {cut(s['actor'], 60)}, from then on" + _then(s.get("reason"))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def policy_adopted(s: State) -> str:
    needs = [
        f"{kind} needs {_count(terms['approvals'], 'approval')} of {cut(terms['role'], 60)}"
        for kind, terms in s["approval"].items()
    ]
    return (
        f"Policy {s['number']} adopted (digest {str(s['digest'])[:12]}): {_count(len(s['roles']), 'role')}, "
        f"{_count(len(s['permit']), 'restricted type')}; " + ("; ".join(needs) or "nothing needs approval")
    )


RECORDS: dict[str, Callable[[State], str]] = {
    "TaskOpened": task_opened,
    "TaskAssigned": task_assigned,
    "TaskDeferred": task_deferred,
    "TaskRevised": task_revised,
    "TaskCompleted": task_completed,
    "TaskCancelled": task_cancelled,
    "ReminderSent": reminder_sent,
    "TaskEscalated": task_escalated,
    "DeliveryRequested": delivery_requested,
    "Delivered": delivered,
    "DeliveryFailed": delivery_failed,
    "DeliveryRetried": delivery_retried,
    "DispatchIssued": dispatch_issued,
    "KeyEnrolled": key_enrolled,
    "KeyRevoked": key_revoked,
    "ExchangeRatesPublished": rates_published,
    "FactProposed": fact_proposed,
    "FactApproved": fact_approved,
    "FactRejected": fact_rejected,
    "DelegationGranted": delegation_granted,
    "DelegationRevoked": delegation_revoked,
    "PolicyAdopted": policy_adopted,
}
