"""The values a page reads from its address (its query and its path), each
read here with its bounds. A value a page cannot use is one sentence, and the
page answers 400 with it: never a number SQLite or PostgreSQL cannot hold,
a digit only Unicode calls one (², ٣), or text no page could match."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

# The most characters of any value; positions as the stores keep them
# (BIGINT); pages of a hundred rows.
LONGEST = 200
LAST_POSITION = 2**63 - 1
LAST_PAGE = 100_000
# The longest reason a form takes (a rejection's, a revocation's): the
# domain's bound on free text (domain.text.TEXT), said before the writer is asked.
LONGEST_REASON = 2_000
# Characters no page matches: C0 and C1 controls (tab and line feed too), DEL,
# and what XML 1.0 forbids.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
DIGITS = re.compile(r"[0-9]+")


class NotUnderstood(ValueError):
    """A value in a page's address the page cannot use; the message says which, and why."""


def shown(value: str) -> str:
    """A value as a sentence quotes it: its start only, if it is long."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def text(value: str | None, name: str) -> str | None:
    """A text value (a partner, an owner, a type), or None if none is given."""
    if value is None or not value.strip():
        return None
    if len(value) > LONGEST:
        raise NotUnderstood(f"{name} holds at most {LONGEST} characters; this one holds {len(value):,}")
    if CONTROL.search(value):
        raise NotUnderstood(f"{name} holds a control character: {shown(value)}")
    return value.strip()


def reason(value: str | None) -> str:
    """A reason typed in a form, stripped (empty if none is given)."""
    said = (value or "").strip()
    if len(said) > LONGEST_REASON:
        raise NotUnderstood(f"the reason has {len(said):,} characters: at most {LONGEST_REASON:,} are taken")
    return said


def whole(value: str | None, name: str, *, smallest: int = 0, largest: int, default: int | None = None) -> int:
    """A whole number written in ASCII digits, from `smallest` to `largest`;
    `default` if none is given (else none is refused too)."""
    given = (value or "").strip()
    if not given and default is not None:
        return default
    if not (DIGITS.fullmatch(given) and len(given) <= len(str(largest)) and smallest <= int(given) <= largest):
        raise NotUnderstood(f"{name} must be a whole number from {smallest} to {largest}; got {shown(value or '')}")
    return int(given)


def choice(value: str | None, name: str, choices: Sequence[str], default: str) -> str:
    """One of `choices`, or `default` if none is given."""
    given = (value or "").strip()
    if not given:
        return default
    if given not in choices:
        raise NotUnderstood(f"{name} must be one of {', '.join(choices)}; got {shown(given)}")
    return given


def day(value: str | None, name: str) -> date | None:
    """A calendar day written YYYY-MM-DD (as a date field sends it), or None if none is given."""
    given = (value or "").strip()
    if not given:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", given):
            raise ValueError(given)
        return date.fromisoformat(given)
    except ValueError:
        said = f"{name} must be a day written YYYY-MM-DD, such as 2021-06-30; got {shown(given)}"
        raise NotUnderstood(said) from None
