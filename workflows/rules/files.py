"""Reading a rule file (TOML), with every problem named by its place."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.vocabulary import describe_problems
from workflows.base.failures import BadInput
from workflows.base.textfile import NotText, parse_toml, read_text
from workflows.rules.model import RuleSet


class RulesError(BadInput, ValueError):
    """A rule file that cannot be used; each problem names its place."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {problem}" for problem in problems))


def default_rules_path() -> Path:
    return Path(str(files("workflows.rules") / "default.toml"))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules in a file, or the rules shipped with Accord."""
    path = Path(path) if path else default_rules_path()
    try:
        text = read_text(path)
    except NotText as error:
        raise RulesError(str(path), [str(error)]) from None
    ruleset = parse_rules(text, str(path))
    if not ruleset.rule:
        raise RulesError(str(path), ["holds no [[rule]]: with it no fact would open a task; write at least one rule"])
    return ruleset


def parse_rules(text: str, path: str = "<rules>") -> RuleSet:
    try:
        data = parse_toml(text)
    except NotText as error:
        raise RulesError(path, [str(error)]) from None
    headers = [number for number, line in enumerate(text.splitlines(), 1) if _HEADER.match(line)]
    problems = _duplicate_names(data, headers)
    try:
        ruleset = RuleSet.model_validate(data)
    except ValidationError as error:
        problems += [p for p in _places(error, data, headers) if "two rules are named" not in p]
    if problems:
        raise RulesError(path, problems)
    return ruleset


# A [[rule]] table header, however spaced or quoted.
_HEADER = re.compile(r"""\s*\[\[\s*["']?rule["']?\s*\]\]""")


def _rules_in(data: dict[str, Any]) -> list[Any]:
    given = data.get("rule")
    return given if isinstance(given, list) else []


def _place(index: int, rules: list[Any], headers: list[int]) -> str:
    name = rules[index].get("name", "?") if index < len(rules) and isinstance(rules[index], dict) else "?"
    line = f"line {headers[index]}, " if index < len(headers) else ""
    return f"{line}rule {index + 1} ({name})"


def _duplicate_names(data: dict[str, Any], headers: list[int]) -> list[str]:
    rules = _rules_in(data)
    first: dict[str, int] = {}
    problems = []
    for index, rule in enumerate(rules):
        name = rule.get("name") if isinstance(rule, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            earlier = _place(first[name], rules, headers)
            problems.append(f"{_place(index, rules, headers)}: the name {name!r} is already taken by {earlier}")
        else:
            first[name] = index
    return problems


def _places(error: ValidationError, data: dict[str, Any], headers: list[int]) -> list[str]:
    """Each problem prefixed with the rule's name and the line of its [[rule]]."""
    rules = _rules_in(data)
    problems: list[str] = []
    for problem in error.errors(include_url=False):
        location = problem["loc"]
        if len(location) >= 2 and location[0] == "rule" and isinstance(location[1], int):
            place = _place(location[1], rules, headers)
            fields = location[2:]
        else:
            place, fields = "the file", location
        sentences = describe_problems([{**problem, "loc": fields}], extra="is not a rule setting")
        problems.extend(f"{place}: {sentence}" for sentence in sentences)
    return problems
