"""What a candidate rule file would change: the whole log replayed through
both rule sets, in memory; the store is only read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workflows.rules.engine import opens, source_of, task_facts
from workflows.rules.model import RuleSet, rule_event

Key = tuple[str, str]  # (rule, source event)
COMPARED = ("title", "owner", "due_on")


@dataclass
class Simulation:
    """Tasks the candidate would open that the rules in force did not, those
    it would no longer open, and those it would open differently."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0


def simulate(events: Iterable[Any], current: RuleSet, candidate: RuleSet) -> Simulation:
    result = Simulation()
    now: dict[Key, dict[str, Any]] = {}
    then: dict[Key, dict[str, Any]] = {}
    for event in events:
        result.events += 1
        _plan(event, current, now)
        _plan(event, candidate, then)
    result.added = [then[key] for key in then.keys() - now.keys()]
    result.removed = [now[key] for key in now.keys() - then.keys()]
    for key in now.keys() & then.keys():
        before, after = now[key], then[key]
        differences = {name: f"{before[name]} -> {after[name]}" for name in COMPARED if before[name] != after[name]}
        if differences:
            result.changed.append({**after, "changes": "; ".join(f"{k}: {v}" for k, v in differences.items())})
    for tasks in (result.added, result.removed, result.changed):
        tasks.sort(key=lambda task: (str(task["due_on"]), task["rule"], task["source"]))
    return result


def types_read(*rulesets: RuleSet) -> list[type[Any]]:
    """The event classes either rule set reacts to."""
    names = set().union(*(ruleset.types_read for ruleset in rulesets))
    return [rule_event(name)[0] for name in sorted(names)]


def _plan(event: Any, rules: RuleSet, into: dict[Key, dict[str, Any]]) -> None:
    for rule in rules.triggered_by(type(event).__name__):
        if opens(rules, rule, event):
            into[(rule.name, source_of(event))] = task_facts(rule, event)
