"""What the hostile-input suite records (tests/integration/test_hostile.py):
facts of every event type, with corrections and retractions, whose every
text field holds what means something to a terminal, rich, Markdown, HTML,
a spreadsheet, XML, an email header or a calendar, at the field's bound or
within it; and the lines the entry checks must refuse (one character over
a bound, a character no output can carry), each naming its field.

Hypothesis draws them. The text fields, their bounds and whether they take
a line break are read from each type's JSON Schema (`accord schema`), so a
field added to the vocabulary is drawn without a word here."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st

from domain.text import ITEMS
from domain.vocabulary import AMENDMENTS, VOCABULARY, json_schema

# The same examples on every CI run (a landing never waits on a new draw);
# new ones on every run elsewhere, where finding one is the point.
CI = bool(os.environ.get("CI"))
HOSTILE: dict[str, Any] = {
    "deadline": None,
    "derandomize": CI,
    # An example costs seconds: a failure is reported as found, not shrunk for minutes.
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}

# Each medium's markup, as data might hold it by accident or by design.
RICH = ["see annex [/]", "[link=http://evil.example/]the form[/link]", "[conceal]hidden words[/conceal]", "[bold"]
RICH += ["[/bold]", "[red on black]x", "\\[escaped]"]
MARKDOWN = ["# ", "## Heading", "* ", "- item", "> ", "1. ", "`code`", "```", "---", "*em* __strong__", "|", "\\"]
MARKDOWN += ["[x](javascript:alert(1))", "![i](http://evil.example/i.png)", "<http://evil.example>", "| a | b |"]
HTML = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</td></tr></table>", '"><svg onload=alert(1)>']
HTML += ["<!--", "&amp;", "&lt;b&gt;", "'"]
SPREADSHEET = ['=HYPERLINK("http://evil.example","click")', "=1+2", "+1", "-1", "@SUM(A1:A9)", "=cmd|' /C calc'!A0"]
SPREADSHEET += [",", '"', ";"]
XML = ["]]>", "<![CDATA[", "&", "<", "&#0;", "&nbsp;", "&xxe;", '<!ENTITY x SYSTEM "file:///etc/passwd">', "<?xml?>"]
HEADERS = ["=?utf-8?q?Bcc=3A_x?=", "Subject: spoofed", "Bcc: victim@evil.example", "x" * 120, "Zoë Ørsted-Ñúñez"]
CALENDAR = ["BEGIN:VEVENT", "END:VCALENDAR", "SUMMARY:x", "a;b,c\\n", "DTSTART:20210101"]
PATHS = ["../../etc/passwd", "/", "\\", "..", "CON", "%2F", "%00", "desk:TN", "a/b"]
UNICODE = ["\u202eevil\u202c", "\u200f", "مرحبا بالعالم", "שלום", "e\u0301\u0301\u0301", "Z\u0351\u0352\u0353"]
UNICODE += ["👩🏽\u200d💻🇹🇳", "移民伙伴关系", "𝕏𝔸", "\ufeff", "\u200b", "\u00a0", "\u00ad", "\U0010fffd", "\ufdd0"]
# Only where a field takes several lines: tab and line feed, and the line
# breaks of Unicode, beside what they would open at a line's start.
LINES = ["\t", "\n", "\u2028", "\u2029", "\n# Heading", "\nBcc: victim@evil.example", "\nNote: x", "\n\n> quoted"]
LINES += ["\n\t=1", "\n---\n", "\nEND:VTODO\n", "\n.\n"]
ONE_LINE = RICH + MARKDOWN + HTML + SPREADSHEET + XML + HEADERS + CALENDAR + PATHS + UNICODE
SEVERAL_LINES = ONE_LINE + LINES

# What a text field may hold (domain.text): no control but tab and line feed,
# no surrogate, not U+FFFE or U+FFFF; tab and line breaks come from LINES.
ALLOWED = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\ufffe\uffff")
# What the entry checks refuse anywhere.
REFUSED = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\x1b",
    "\x1b[2J",
    "\x1b]0;t\x07",
    "\x7f",
    "\x85",
    "\x9b",
]
REFUSED += ["\ufffe", "\uffff"]
# What a one-line field refuses besides.
BREAKS = ["\t", "\n", "\u2028", "\u2029"]


@dataclass(frozen=True)
class TextField:
    """A text field of a type as its schema says it: its bound, whether it
    takes line breaks, and whether it is a list of such texts."""

    name: str
    limit: int
    one_line: bool
    listed: bool
    required: bool


def _text_field(name: str, prop: dict[str, Any], required: bool) -> TextField | None:
    listed = prop.get("type") == "array"
    text = prop.get("items", {}) if listed else next((p for p in prop.get("anyOf", [prop]) if "maxLength" in p), prop)
    pattern = text.get("pattern")
    # Free text is bounded and refuses controls; a reference (a Ref) is a pattern of its own.
    if "maxLength" not in text or pattern is None or re.search(pattern, "\x1b") or not re.search(pattern, "é"):
        return None
    one_line = re.search(pattern, "a\nb") is None
    return TextField(name, text["maxLength"], one_line, listed, required)


@cache
def text_fields(type_name: str, subject: str | None = None) -> tuple[TextField, ...]:
    """Every text field of a type (of an amendment: of the record `subject` names)."""
    schema = json_schema(type_name)
    if type_name in AMENDMENTS:
        schema = schema["$defs"][f"{type_name}_{subject}"]
    required = set(schema.get("required", []))
    found = (_text_field(name, prop, name in required) for name, prop in schema["properties"].items())
    return tuple(field for field in found if field is not None)


def text(limit: int, one_line: bool) -> st.SearchStrategy[str]:
    """Hostile text within `limit`: markup of every medium and any character
    a field takes, now and then exactly at the bound."""
    piece = st.one_of(st.sampled_from(ONE_LINE if one_line else SEVERAL_LINES), st.text(ALLOWED, max_size=12))
    drawn = st.lists(piece, min_size=1, max_size=8).map("".join)
    return st.one_of(drawn.map(lambda t: t[:limit]), drawn.filter(bool).map(lambda t: at_bound(t, limit)))


def at_bound(text: str, limit: int) -> str:
    """`text` repeated to exactly `limit` characters."""
    return (text * (limit // len(text) + 1))[:limit]


def value(field: TextField, filler: str = "") -> st.SearchStrategy[Any]:
    """A hostile value of a text field (a list of them for a list field)."""
    one = text(field.limit, field.one_line)
    if field.name == "id":
        return one.map(lambda t: t[: field.limit - len(filler)] + filler)
    if field.listed:
        few = st.lists(one, min_size=1, max_size=3)
        # As many items as a list takes: the few drawn, again and again.
        return st.one_of(few, few.map(lambda items: (items * ITEMS)[:ITEMS])).map(tuple)
    return one.filter(bool) if field.required else one


# The record each example writes, its refs and dates fixed (a rule of the
# record broken is not what this suite is after): every type, and what each
# needs before it. Text fields are filled in by `record`.
PARTNERS = ("TN", "MA")
MEETING, HELD, FUTURE = "m-briefed", "m-held", "m-future"


def fact(type_name: str, subject: str | None, occurred_on: str, **fields: Any) -> dict[str, Any]:
    """A fact of a type on its record (`subject`: a partner, a meeting...)."""
    event_class, _ = VOCABULARY.event(type_name)
    named = {event_class.SUBJECT: subject} if subject else {}
    return {"type": type_name, **named, "occurred_on": occurred_on, **fields}


SKELETON: list[dict[str, Any]] = [
    fact("PartnershipOpened", "TN", "2021-01-04"),
    fact("PartnershipOpened", "MA", "2021-01-05"),
    fact("VisitPlanned", "TN", "2021-06-01", planned_for="2021-08-06"),
    fact("VisitPlanned", "MA", "2021-07-01"),
    fact("VisitHeld", "TN", "2021-07-01"),
    fact("DialogueLaunched", "TN", "2021-03-01", dialogue="d1"),
    fact("DialogueRoundHeld", "TN", "2021-05-01", dialogue="d1"),
    fact("FundingCommitted", "TN", "2021-02", funding="f1", amount="EUR 1000000"),
    fact("FundingIncreased", "TN", "2021-02-20", funding="f1", amount="EUR 500000"),
    fact("FundingDisbursed", "TN", "2021-03-01", funding="f1", amount="EUR 250000"),
    fact("FundingDecommitted", "TN", "2021-04", funding="f1", amount="EUR 1000.50"),
    fact("CommitmentRecorded", "TN", "2021-02-01", commitment="c-open", party="eu", due_on="2021-08-05"),
    fact("CommitmentRecorded", "MA", "2021-02-01", commitment="c-kept", party="partner", due_on="2021-07-20"),
    fact("CommitmentRecorded", "TN", "2021-02-01", commitment="c-lapsed", party="member_state"),
    fact("CommitmentFulfilled", "MA", "2021-07-10", commitment="c-kept"),
    fact("CommitmentLapsed", "TN", "2021-07-15", commitment="c-lapsed"),
    fact("StatementReaffirmed", "TN", "2021-06-02", statement_date="2016-03-18"),
    fact("OperationLaunched", "TN", "2021-05-01", starts_on="2021-06"),
    fact("TalentPartnershipLaunched", "MA", "2021-06-11"),
    fact("ArrivalsReported", "TN", "2021-07", period_start="2021-05", period_end="2021-06", count=41_252),
    fact("PartnershipNoteAdded", "TN", "2021-07-20"),
    fact("PartnershipNoteAdded", "MA", "2021-07-21"),
    fact("MeetingScheduled", MEETING, "2021-06-01", held_on="2021-08-05", partners=["TN", "MA"]),
    fact("MeetingScheduled", HELD, "2021-05-01", held_on="2021-06-15", partners=["TN"]),
    fact("MeetingHeld", HELD, "2021-06-15"),
    fact("MeetingScheduled", FUTURE, "2021-07-01", held_on="2031-01-10", partners=["MA"]),
    fact("InitiativeAnnounced", "i1", "2021-03-01", stage="proposed", partners=["TN"]),
    fact("InitiativeAdvanced", "i1", "2021-06-01", stage="adopted"),
    fact("FundingEnvelopeSet", None, "2021-01", amount="EUR 7950000000", first_year=2021, last_year=2027),
    fact("IndicatorDefined", "portfolio/arrivals", "2021-01", unit="number"),
    fact("IndicatorDefined", "TN/spend", "2021-01", unit="money", currency="EUR"),
    fact("BaselineSet", "TN/spend", "2021-02", value="1000.50", measured_on="2020"),
    fact("TargetSet", "portfolio/arrivals", "2021-02", period="2022", value=20_000),
    fact("ActualReported", "portfolio/arrivals", "2021-07", period="2021-Q2", value=13_000),
]
# Numbers at their bounds (domain.values), and within.
NUMBERS = {
    "DialogueLaunched": {"cadence_days": st.sampled_from([None, 1, 30, 36_600])},
    "ArrivalsReported": {
        "count": st.sampled_from([0, 1, 41_252, 10**12]),
        "approximation": st.sampled_from(["exact", "about", "at_least", "at_most"]),
    },
    "FundingEnvelopeSet": {"share": st.sampled_from([None, "0.10", "1", "0.0000001"])},
    "ActualReported": {
        "value": st.sampled_from([0, -5, 13_000, "999,999,999,999,999.999999", 10**15 - 1]),
        "approximation": st.sampled_from(["exact", "about", "at_least", "at_most"]),
    },
}


@st.composite
def record(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Facts of every type, each text field hostile (optional ones now and
    then left out), each under a hostile key of its own. A funding line and
    its envelope name one instrument, as they would."""
    instrument = draw(text(300, True).filter(str.strip))
    rows = []
    for number, skeleton in enumerate(SKELETON):
        row = dict(skeleton)
        for field in text_fields(row["type"]):
            if field.name == "instrument":
                row["instrument"] = instrument
            elif field.required or field.name == "id" or draw(st.integers(0, 4)):
                row[field.name] = draw(value(field, f" #{number}"))
        for name, numbers in NUMBERS.get(row["type"], {}).items():
            row[name] = draw(numbers)
        rows.append(row)
    return rows


def subject_of(row: dict[str, Any]) -> tuple[str, str]:
    """The field naming a fact's record, and its value."""
    name = next(name for name in ("partner", "meeting", "initiative", "instrument", "indicator") if name in row)
    return name, row[name]


@st.composite
def amendments(draw: st.DrawFn, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Corrections of text fields with hostile text (a commitment's
    description retitles its task), and retractions of facts no other fact
    needs, each with a hostile reason."""
    reason = text(2_000, False).filter(str.strip)
    amended = []
    correctable = [row for row in facts if row["type"] in CORRECTED and CORRECTED[row["type"]] in row]
    for row in draw(st.lists(st.sampled_from(correctable), min_size=1, max_size=3, unique_by=lambda r: r["id"])):
        name = CORRECTED[row["type"]]
        [field] = [f for f in text_fields(row["type"]) if f.name == name]
        new = draw(value(field).filter(_differs(row[name], field.required)))
        subject, place = subject_of(row)
        changes = {name: list(new) if field.listed else new}
        amended.append(
            {"type": "FactCorrected", subject: place, "target": row["id"], "changes": changes, "reason": draw(reason)}
        )
    retractable = [row for row in facts if row["type"] in RETRACTED]
    for row in draw(st.lists(st.sampled_from(retractable), max_size=2, unique_by=lambda r: r["id"])):
        subject, place = subject_of(row)
        amended.append({"type": "FactRetracted", subject: place, "target": row["id"], "reason": draw(reason)})
    return amended


def _differs(before: Any, required: bool) -> Any:
    return lambda after: after != before and (bool(after) or not required)


# A text field of each type a correction may change, and the facts a
# retraction may withdraw (none that another fact depends on).
CORRECTED = {
    "CommitmentRecorded": "description",
    "VisitHeld": "visitors",
    "MeetingScheduled": "title",
    "StatementReaffirmed": "statement",
    "FundingCommitted": "title",
    "IndicatorDefined": "title",
}
RETRACTED = {
    *("PartnershipNoteAdded", "StatementReaffirmed", "TalentPartnershipLaunched", "ArrivalsReported"),
    "ActualReported",
}


def rules_file() -> str:
    """The shipped rules, and one rule a type whose task's title holds every
    text field of its fact and whose owner one of them: derived text from
    every field, made to fit."""
    shipped = files("workflows.rules").joinpath("default.toml").read_text(encoding="utf-8")
    extra = []
    for type_name in VOCABULARY:
        fields = [field.name for field in text_fields(type_name) if field.name != "id"]
        title = " | ".join(f"{{{name}}}" for name in fields) or "{subject}"
        owner = f"hostile:{{{fields[0]}}}" if fields else "hostile:{subject}"
        extra.append(
            f'[[rule]]\nname = "hostile-{type_name.lower()}"\nwhen = "{type_name}"\n'
            f"title = {json.dumps(title)}\nowner = {json.dumps(owner)}\n"
            'due = { after = "occurred_on", days = 25 }\n'
        )
    return shipped + "\n" + "\n".join(extra)


@st.composite
def task_changes(draw: st.DrawFn) -> dict[str, Any]:
    """What people do to tasks, in hostile words: an owner (a name at its
    bound or within), a deferral's reason, a completion's note, a
    cancellation's reason; and which open tasks (by their order) they touch."""
    several = text(2_000, False)
    return {
        "owner": draw(text(200, True).filter(str.strip)),
        "reason": draw(several.filter(str.strip)),
        "note": draw(several),
        "cancel": draw(several.filter(str.strip)),
        "tasks": draw(st.permutations(range(4))),
    }


@st.composite
def hostile(draw: st.DrawFn) -> dict[str, Any]:
    """One example: the record, its amendments, the changes people make to
    its tasks, and a note an earlier version stored holding what the checks
    now refuse, every bit of it."""
    facts = draw(record())
    earlier = "".join(draw(st.permutations(REFUSED)))
    return {
        "facts": facts,
        "amendments": draw(amendments(facts)),
        "changes": draw(task_changes()),
        "earlier": earlier + draw(text(1_000, False)) + earlier,
    }
