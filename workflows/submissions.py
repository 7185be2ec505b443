"""Reading submissions: one JSON object a line, every bad line reported."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
from pydantic import ValidationError

from domain.vocabulary import Submission, UnknownEventType, describe, parse
from workflows.failures import BadInput


class InvalidSubmissions(BadInput, ValueError):
    """Lines that are not valid submissions; nothing was stored."""

    def __init__(self, problems: list[str], total: int) -> None:
        self.problems = problems
        self.total = total
        lines = "\n".join(problems)
        super().__init__(f"{lines}\nnothing was stored: {len(problems)} problem(s) in {total} submission(s)")


class InvalidOptions(BadInput, ValueError):
    """Command-line options that do not make a valid submission; nothing was stored."""

    def __init__(self, problems: str) -> None:
        super().__init__(f"{problems}; nothing was stored")


@dataclass(frozen=True)
class Line:
    number: int
    text: bytes


def read_lines(lines: Iterable[bytes]) -> list[Line]:
    """Numbered non-blank lines; blank lines and # comments are skipped."""
    numbered = (Line(number, text.strip()) for number, text in enumerate(lines, start=1))
    return [line for line in numbered if line.text and not line.text.startswith(b"#")]


def validate_line(line: Line) -> Submission | list[str]:
    """The submission on one line, or the sentences saying what is wrong."""
    try:
        data = orjson.loads(line.text)
    except orjson.JSONDecodeError as error:
        return [f"not valid JSON ({error})"]
    if not isinstance(data, dict):
        return ['expected a JSON object such as {"type": "VisitHeld", ...}']
    try:
        return parse(data)
    except UnknownEventType as error:
        return [str(error)]
    except ValidationError as error:
        kind = data.get("type")
        return [f"{kind}: {sentence}" for sentence in describe(error)]


def validate_all(lines: list[Line], progress: Callable[[int], None] | None = None) -> list[Submission]:
    """Every line validated first; if any is bad, all bad lines are reported."""
    submissions: list[Submission] = []
    problems: list[str] = []
    for count, line in enumerate(lines, start=1):
        result = validate_line(line)
        if isinstance(result, list):
            problems.extend(f"line {line.number}: {sentence}" for sentence in result)
        else:
            submissions.append(result)
        if progress and count % 1000 == 0:
            progress(1000)
    if progress:
        progress(len(lines) % 1000)
    if problems:
        raise InvalidSubmissions(problems, len(lines))
    return submissions
