"""Reading a rule file (TOML), with every problem named by its place."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.vocabulary import describe_problems
from workflows.rules.model import RuleSet


class RulesError(ValueError):
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
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(str(path), [f"cannot be read: {error.strerror or error}"]) from None
    return parse_rules(text, str(path))


def parse_rules(text: str, path: str = "<rules>") -> RuleSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(path, [f"not valid TOML: {error}"]) from None
    try:
        return RuleSet.model_validate(data)
    except ValidationError as error:
        raise RulesError(path, _places(error, data, text)) from None


def _places(error: ValidationError, data: dict[str, Any], text: str) -> list[str]:
    """Each problem prefixed with the rule's name and the line of its [[rule]]."""
    headers = [number for number, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[rule\]\]", line)]
    given = data.get("rule")
    rules: list[Any] = given if isinstance(given, list) else []
    problems: list[str] = []
    for problem in error.errors(include_url=False):
        location = problem["loc"]
        if len(location) >= 2 and location[0] == "rule" and isinstance(location[1], int):
            index = location[1]
            name = rules[index].get("name", "?") if index < len(rules) and isinstance(rules[index], dict) else "?"
            line = f"line {headers[index]}, " if index < len(headers) else ""
            place = f"{line}rule {index + 1} ({name})"
            fields = location[2:]
        else:
            place, fields = "the file", location
        sentences = describe_problems([{**problem, "loc": fields}], extra="is not a rule setting")
        problems.extend(f"{place}: {sentence}" for sentence in sentences)
    return problems
