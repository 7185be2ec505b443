"""What an event is about, by name: its partners, or the record it is on
(a meeting, an initiative, an instrument, a task, a delivery, a key) as
people name it, never by its code, reference or id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.sentences.records import ABOUT
from workflows.sentences.words import countries, country, cut, day

State = Mapping[str, Any]
# How long a name stands in a line: a table's cell, a page's heading.
NAMED = 80


def meeting_name(body: Any, held_on: Any) -> str:
    """A meeting as people name it: who meets, and when ("Justice and Home
    Affairs Council of 7 June 2021")."""
    return f"{cut(body, NAMED)} of {day(held_on)}"


def record_name(type_name: str, state: State) -> str | None:
    """The name of the record an event of this type starts (a meeting
    scheduled, a task opened...), from its state; None for an event that
    does not start one (its record's first event names it), or stored in a
    shape this version does not read."""
    try:
        return _started(type_name, state)
    except KeyError:
        return None


def _started(type_name: str, state: State) -> str | None:
    match type_name:
        case "MeetingScheduled":
            return meeting_name(state["body"], state["held_on"])
        case "InitiativeAnnounced" | "TaskOpened" | "TaskRevised":
            return cut(state["title"], NAMED)
        case "FundingEnvelopeSet":
            return cut(state["instrument"], NAMED)
        case "DeliveryRequested":
            return f"{ABOUT.get(state['about'], 'Message')} for {cut(state['owner'], 60)}"
        case "KeyEnrolled":
            return f"Signing key of {cut(state['holder'], 60)}"
        case "DispatchIssued":
            return cut(state.get("title") or state["recipient"], NAMED)
        case "FactProposed":
            return f"Proposed {state['type']} on {cut(state['subject'], 60)} (key {cut(state['key'], 60)})"
        case "DelegationGranted":
            grantor, delegate = cut(state["grantor"], 60), cut(state["delegate"], 60)
            return f"Delegation of {cut(state['role'], 60)} from {grantor} to {delegate}"
        case "PolicyAdopted":
            return f"Policy {state['number']}"
    return None


# What a task's events are about is the task, whatever partner it names.
_TASKS = frozenset({"TaskOpened", "TaskRevised"})


def subject(type_name: str, state: State) -> str | None:
    """What an event is about, by name: the partners it names, else the
    record it starts; None if its state does not say (its record's first
    event does: `record_name`)."""
    if type_name not in _TASKS:
        if state.get("partner"):
            return country(state["partner"])
        if state.get("partners"):
            return countries(state["partners"])
    return record_name(type_name, state)
