"""Submissions as people give them: a file of JSON lines, every bad line
reported, recorded all at once or not at all; one event from command-line
options; the vocabulary's types and its JSON Schema."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import orjson
from pydantic import ValidationError

from domain.vocabulary import VOCABULARY, Submission, UnknownEventType, describe, json_schema, parse
from workflows.base.batches import Bar, collector_paused
from workflows.base.failures import BadInput

if TYPE_CHECKING:
    from workflows.application.service import Accord
    from workflows.application.submission import Receipt

__all__ = ["InvalidOptions", "InvalidSubmissions", "Submission", "event_types", "json_schema", "submission_model"]


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


BOM = b"\xef\xbb\xbf"


def read_lines(lines: Iterable[bytes]) -> list[Line]:
    """Numbered non-blank lines; blank lines and # comments are skipped, and
    a byte-order mark before the first (Windows editors write one)."""
    return [line for line in _numbered(lines) if _holds_a_fact(line)]


def _numbered(lines: Iterable[bytes]) -> Iterator[Line]:
    for number, text in enumerate(lines, start=1):
        yield Line(number, (text.removeprefix(BOM) if number == 1 else text).strip())


def _holds_a_fact(line: Line) -> bool:
    return bool(line.text) and not line.text.startswith(b"#")


class NoFacts(BadInput, ValueError):
    """A file with no line to record: empty, or only comments and blank
    lines. Saying so, rather than "recorded 0", tells a person that what
    they piped in was not what they meant."""

    def __init__(self, comments: int, blanks: int) -> None:
        skipped = f"{comments} comment line(s) (#) and {blanks} blank line(s)" if comments + blanks else "no lines"
        super().__init__(f"found no facts in the file: it holds {skipped}; nothing was stored")


def _facts_of(source: Iterable[bytes]) -> list[Line]:
    """`read_lines`, refusing a file in which there are none."""
    comments = blanks = 0
    facts: list[Line] = []
    for line in _numbered(source):
        if _holds_a_fact(line):
            facts.append(line)
        elif line.text:
            comments += 1
        else:
            blanks += 1
    if not facts:
        raise NoFacts(comments, blanks)
    return facts


@dataclass(frozen=True)
class Fact:
    """A submission's fields as another format gave them (an IATI
    transaction's, say), numbered by their line in it."""

    number: int
    data: dict[str, Any]


class Numbered(Protocol):
    """A line, or a Fact: what a problem is named by."""

    @property
    def number(self) -> int: ...


_N = TypeVar("_N", bound=Numbered)


def validate_line(line: Line) -> Submission | list[str]:
    """The submission on one line, or the sentences saying what is wrong."""
    try:
        data = orjson.loads(line.text)
    except orjson.JSONDecodeError as error:
        return [f"not valid JSON ({error})"]
    return validate_data(data)


def validate_data(data: Any) -> Submission | list[str]:
    """The submission `data` makes (a JSON value: a line's, a Fact's), or
    the sentences saying what is wrong."""
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
    return _validated(lines, validate_line, progress)


def validate_facts(facts: list[Fact], progress: Callable[[int], None] | None = None) -> list[Submission]:
    """`validate_all` of facts another format gave, each named by its line
    in it: made into submissions with no JSON text between (of tens of
    thousands, that text alone would take hundreds of megabytes)."""
    return _validated(facts, lambda fact: validate_data(fact.data), progress)


def _validated(
    lines: list[_N], validate: Callable[[_N], Submission | list[str]], progress: Callable[[int], None] | None
) -> list[Submission]:
    submissions: list[Submission] = []
    problems: list[str] = []
    for count, line in enumerate(lines, start=1):
        result = validate(line)
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


def record_file(app: Accord, source: Iterable[bytes], actor: str, bar: Bar) -> Receipt:
    """Check every line, then record them all at once, or none: every bad
    line, or every line breaking a rule of the domain, named by its number;
    a file with no line to record is refused, saying what it held."""
    return record_lines(app, _facts_of(source), actor, bar)


def record_lines(app: Accord, lines: list[Line], actor: str, bar: Bar, *, dry_run: bool = False) -> Receipt:
    """`record_file` of lines already read, each named by its own number
    (an IATI transaction's line in its XML file, say); a `dry_run` checks
    and decides them as recording them does, and stores nothing."""
    with collector_paused():
        with bar(len(lines), "checking") as advance:
            submissions = validate_all(lines, advance)
        return record_checked(app, list(zip(lines, submissions, strict=True)), actor, bar, dry_run=dry_run)


def record_checked(
    app: Accord, checked: Sequence[tuple[Numbered, Submission]], actor: str, bar: Bar, *, dry_run: bool = False
) -> Receipt:
    """`record_lines` of lines `validate_all` made submissions of, each
    beside its line: every line breaking a rule of the domain named by its
    number."""
    from workflows.application.submission import Rejected

    with collector_paused(), bar(len(checked), "deciding" if dry_run else "recording") as advance:
        try:
            return app.submit([submission for _, submission in checked], actor, advance, dry_run=dry_run)
        except Rejected as rejected:
            problems = [f"line {checked[index][0].number}: {message}" for index, message in rejected.problems]
            raise InvalidSubmissions(problems, len(checked)) from None


def event_types() -> list[str]:
    """Every type of event people submit, by name."""
    return sorted(VOCABULARY)


def submission_model(type_name: str) -> type[Submission] | None:
    """The model of one type's submissions (its fields are its options)."""
    return VOCABULARY.get(type_name)


def amendment(
    app: Accord,
    type_name: str,
    *,
    target: str | None,
    position: int | None,
    record: dict[str, str],
    fields: dict[str, Any],
    option_name: Callable[[str], str],
) -> Submission:
    """A correction or a retraction (`type_name`) from command-line options:
    of the fact with the key `target` on the record `record` names (its
    partner, meeting, initiative or instrument), or of the fact at
    `position` in the log; `fields` are its own (changes, reason, id)."""
    if (target is None) == (position is None):
        raise InvalidOptions("name the fact by its key or by --position, one of them")
    if position is not None:
        if record:
            raise InvalidOptions(
                f"--position names the fact and its record: leave out {option_name(next(iter(record)))}"
            )
        fact = app.fact_at(position)
        record, target = {fact.SUBJECT: fact.subject}, fact.key
    data = {"type": type_name, **record, "target": target, **fields}
    try:
        return parse({key: value for key, value in data.items() if value is not None})
    except UnknownEventType as error:
        raise InvalidOptions(str(error)) from None
    except ValidationError as error:
        raise InvalidOptions("; ".join(describe(error, name=option_name))) from None


def from_options(type_name: str, options: dict[str, Any], option_name: Callable[[str], str]) -> Submission:
    """One submission from command-line options (None or () for those not
    given); InvalidOptions names each bad one as `option_name` spells it."""
    data = {key: value for key, value in options.items() if value not in (None, ())}
    try:
        return parse({"type": type_name, **data})
    except ValidationError as error:
        raise InvalidOptions("; ".join(describe(error, name=option_name))) from None
