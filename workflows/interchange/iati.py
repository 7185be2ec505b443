"""Funding as IATI 2.03 activity XML, for the aid-transparency registry, and
back: one activity per funded action (a partnership's funding line), its
recipient country, DAC purpose code 15190 (facilitation of orderly, safe,
regular and responsible migration), the commitment and each increase on it
as a type 2 transaction (an activity's first commitment is the line's, each
later one adds to it), each decommitment as a type 2 of a negative value (as
IATI reports a commitment reduced) and each disbursement as a type 3, values
with currency and value date.

The pillars a line serves are tags of Accord's own vocabulary (`PILLARS`,
docs/recording.md). What IATI has no place for (the funding line's own
reference, the instrument, a date known only to the month, a later fact's
own pillars, an envelope's share) travels in attributes of Accord's own
namespace, which the schema allows, so an exported file comes back into
Accord exactly: the same facts, the same funding report.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from domain.codes import known_currency, minor_unit
from domain.errors import UnknownCurrency
from domain.text import LINE, fit
from domain.values import event_date
from workflows.application.intake import Fact, Numbered, record_checked, validate_all, validate_facts
from workflows.application.intake import Line as NumberedLine
from workflows.base.batches import Bar, collector_paused
from workflows.base.failures import BadInput, OutputInvalid
from workflows.base.textfile import NotText, too_large
from workflows.escape.xml import xml_text
from workflows.interchange import iati_codes
from workflows.interchange.xmlstream import records
from workflows.proofs.check import ProofFails
from workflows.proofs.formats import Proof
from workflows.reports.numbers import PILLARS as PILLAR_NAMES

if TYPE_CHECKING:
    from datetime import date

    from domain.vocabulary import Submission
    from workflows.application.submission import Receipt

# The schema the export is checked against: IATI's own, as published.
SCHEMA = Path(str(files("workflows") / "data" / "iati-2.03" / "iati-activities-schema.xsd"))
NS = "urn:accord:iati"
ET.register_namespace("accord", NS)
REPORTING_ORG = "XM-ACCORD"
REPORTING_NAME = "Accord (EU migration partnerships)"
MIGRATION = "15190"
# Accord's own vocabulary of IATI's `tag` element (vocabulary 99, the
# reporting organisation's): the pillars a funding line serves, defined in
# docs/recording.md ("Accord's IATI vocabulary"). Read back only under this URI.
PILLARS = "urn:accord:iati:pillars"
OWN_VOCABULARY = "99"
COMMITMENT, DISBURSEMENT = "2", "3"
# A decommitment is a commitment transaction of a negative value.
DECOMMITMENT = "-2"


def _a(name: str) -> str:
    return f"{{{NS}}}{name}"


@dataclass
class Line:
    """One funded action: its commitment, then its increases, disbursements
    and decommitments (each with its transaction type), in the order recorded."""

    partner: str
    funding: str
    instrument: str
    title: str
    committed: dict[str, Any]
    later: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Envelope:
    """What an instrument sets aside for migration over its years (a
    programme-level activity with a budget and no transactions)."""

    instrument: str
    amount: dict[str, Any]
    first_year: int
    last_year: int
    recorded_on: str
    # What IATI has no place for, in Accord's own attributes of the budget,
    # so that the envelope comes back as recorded (`_planned_envelope`).
    own: dict[str, str] = field(default_factory=dict)


def export(app: Any, generated: datetime) -> tuple[bytes, int]:
    """The record's funding as IATI activities (what `accord export iati`
    writes), and how many; IatiError when there is none to write. The file
    is checked as a reader would (`check`) before it is given."""
    lines, programmes = funding_lines(app), envelopes(app)
    if not (lines or programmes):
        raise IatiError("nothing to export: no funding or envelope is recorded (IATI needs one activity)")
    data = activities(lines, programmes, generated)
    check(data)
    return data, len(lines) + len(programmes)


class ExportInvalid(OutputInvalid):
    """An IATI file Accord made that fails its own check; nothing was written."""


def check(data: bytes) -> None:
    """Raise ExportInvalid, naming the first problem and its line, unless
    `data` is well-formed XML that the IATI 2.03 schema accepts."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        document = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        # The parser's own words, which name the line and column.
        raise ExportInvalid(f"the IATI export is not well-formed XML ({error.msg}); nothing was written") from None
    schema = _schema()
    if not schema.validate(document):
        first = schema.error_log[0]
        raise ExportInvalid(
            f"the IATI export does not follow the IATI 2.03 schema (line {first.line}: {first.message}); "
            "nothing was written"
        )


@cache
def _schema() -> Any:
    """The IATI 2.03 activity schema, as published (shipped in workflows/data)."""
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def activities(lines: Iterable[Line], envelopes: Iterable[Envelope], generated: datetime) -> bytes:
    root = ET.Element("iati-activities", {"version": "2.03", "generated-datetime": _moment(generated)})
    for envelope in envelopes:
        _envelope(root, envelope, generated)
    for line in lines:
        activity = _activity(
            root,
            generated,
            identifier=f"{REPORTING_ORG}-{line.partner}-{line.funding}",
            currency=line.committed["amount"]["currency"],
            instrument=line.instrument,
            title=line.title or f"{line.instrument}: {line.funding}",
            description=f"Funded under {line.instrument} for {line.partner}.",
            # IATI wants a title: a line without one is given its instrument's
            # and reference, and says in Accord's attribute that it has none.
            own={"partner": line.partner, "funding": line.funding, **({} if line.title else {"title": ""})},
        )
        start = event_date(line.committed["occurred_on"]).earliest.isoformat()
        ET.SubElement(activity, "activity-date", {"iso-date": start, "type": "2"})
        ET.SubElement(activity, "recipient-country", {"code": line.partner, "percentage": "100"})
        ET.SubElement(activity, "sector", {"vocabulary": "1", "code": MIGRATION})
        _pillar_tags(activity, _pillars(line.committed))
        for kind, fact in [(COMMITMENT, line.committed), *line.later]:
            _transaction(activity, kind, fact)
            _own_pillars(activity[-1], fact, _pillars(line.committed))
    _writable(root)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _activity(
    root: ET.Element,
    generated: datetime,
    *,
    identifier: str,
    currency: str,
    instrument: str,
    title: str,
    description: str,
    own: dict[str, str],
) -> ET.Element:
    """An activity's opening elements, in the schema's order, up to its status."""
    attributes = {
        "last-updated-datetime": _moment(generated),
        "{http://www.w3.org/XML/1998/namespace}lang": "en",
        "default-currency": currency,
        _a("instrument"): instrument,
        **{_a(name): value for name, value in own.items()},
    }
    activity = ET.SubElement(root, "iati-activity", attributes)
    ET.SubElement(activity, "iati-identifier").text = identifier
    _narrative(ET.SubElement(activity, "reporting-org", {"ref": REPORTING_ORG, "type": "10"}), REPORTING_NAME)
    _narrative(ET.SubElement(activity, "title"), title)
    _narrative(ET.SubElement(activity, "description"), description)
    _narrative(ET.SubElement(activity, "participating-org", {"role": "1", "type": "10"}), instrument)
    ET.SubElement(activity, "activity-status", {"code": "2"})
    return activity


def _envelope(root: ET.Element, envelope: Envelope, generated: datetime) -> None:
    currency = envelope.amount["currency"]
    years = f"{envelope.first_year}-{envelope.last_year}"
    activity = _activity(
        root,
        generated,
        identifier=f"{REPORTING_ORG}-ENVELOPE-{_slug(envelope.instrument)}",
        currency=currency,
        instrument=envelope.instrument,
        title=f"{envelope.instrument}: external migration assistance {years}",
        description=f"What {envelope.instrument} sets aside for migration over {years}: a programme, not one action.",
        own={},
    )
    start, end = f"{envelope.first_year}-01-01", f"{envelope.last_year}-12-31"
    ET.SubElement(activity, "activity-date", {"iso-date": start, "type": "1"})
    ET.SubElement(activity, "activity-date", {"iso-date": end, "type": "3"})
    ET.SubElement(activity, "sector", {"vocabulary": "1", "code": MIGRATION})
    # One indicative budget over the whole period, as recorded: IATI's
    # guidance prefers yearly budgets, but the record gives no yearly split.
    budget = ET.SubElement(
        activity, "budget", {"type": "1", "status": "1", **{_a(name): value for name, value in envelope.own.items()}}
    )
    ET.SubElement(budget, "period-start", {"iso-date": start})
    ET.SubElement(budget, "period-end", {"iso-date": end})
    value = ET.SubElement(budget, "value", {"currency": currency, "value-date": envelope.recorded_on})
    value.text = str(envelope.amount["amount"])


def _writable(root: ET.Element) -> None:
    """Every text and attribute of the tree in characters XML 1.0 allows
    (workflows.escape.xml): a control character in a title, a key or a
    reference would make a file no reader, Accord's import included, reads."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for name, value in element.attrib.items():
            element.attrib[name] = xml_text(value)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def _transaction(activity: ET.Element, kind: str, fact: dict[str, Any]) -> None:
    transaction = ET.SubElement(activity, "transaction")
    ET.SubElement(transaction, "transaction-type", {"code": kind.lstrip("-")})
    when = event_date(fact["occurred_on"])
    # IATI wants a day: a date known to the month or year counts from its last day.
    day = when.latest.isoformat()
    ET.SubElement(
        transaction, "transaction-date", {"iso-date": day, _a("occurred-on"): str(when), _a("key"): fact["key"]}
    )
    value = ET.SubElement(transaction, "value", {"currency": fact["amount"]["currency"], "value-date": day})
    value.text = ("-" if kind == DECOMMITMENT else "") + str(fact["amount"]["amount"])


def _pillars(fact: dict[str, Any]) -> list[str]:
    return list(fact.get("pillars", ()))


def _pillar_tags(activity: ET.Element, pillars: Sequence[str]) -> None:
    """The pillars of a funding line (its commitment's, which the funding
    report counts it under) as tags of Accord's vocabulary, one a pillar in
    their order. A `tag`, not a `sector`: IATI's sectors of one vocabulary
    split the activity's money by percentages adding up to 100, and may not
    be given on both the activity and its transactions (the activity already
    names DAC sector 15190); a tag classifies the whole activity with no
    split, as the report counts a line serving several pillars under each in
    full. IATI 2.03 has tags on activities only: a later fact's own pillars,
    where they differ, travel on its transaction (`_own_pillars`)."""
    for code in pillars:
        attributes = {"code": code, "vocabulary": OWN_VOCABULARY, "vocabulary-uri": PILLARS}
        _narrative(ET.SubElement(activity, "tag", attributes), PILLAR_NAMES.get(code, code))


def _own_pillars(transaction: ET.Element, fact: dict[str, Any], line: Sequence[str]) -> None:
    """A fact's pillars, in Accord's own attribute of its transaction date,
    when they are not its line's (a fact without the attribute serves its
    line's pillars; an empty one, none): each fact comes back as recorded."""
    if (own := _pillars(fact)) != list(line):
        date = transaction.find("transaction-date")
        if date is not None:
            date.set(_a("pillars"), " ".join(own))


def _narrative(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "narrative").text = text


def _moment(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def envelopes(app: Any) -> list[Envelope]:
    """Each instrument's latest envelope for migration."""
    from domain.initiative import Instrument

    found: dict[str, Envelope] = {}
    for event in app.facts_of_types([Instrument.FundingEnvelopeSet]):
        found[event.instrument] = Envelope(
            event.instrument,
            event.amount.model_dump(mode="json"),
            event.first_year,
            event.last_year,
            event.occurred_on.latest.isoformat(),
            {
                "key": event.key,
                "occurred-on": str(event.occurred_on),
                **({} if event.share is None else {"share": str(event.share)}),
            },
        )
    return list(found.values())


def funding_lines(app: Any) -> list[Line]:
    """Every funding line of the record, with its increases, disbursements
    and decommitments, from the log."""
    from domain.partnership import Partnership as P

    lines: dict[tuple[str, str], Line] = {}
    kinds = {P.FundingIncreased: COMMITMENT, P.FundingDisbursed: DISBURSEMENT, P.FundingDecommitted: DECOMMITMENT}
    for event in app.facts_of_types([P.FundingCommitted, *kinds]):
        fact = {
            "occurred_on": str(event.occurred_on),
            "amount": event.amount.model_dump(mode="json"),
            "key": event.key,
            "pillars": [str(pillar) for pillar in event.pillars],
        }
        if isinstance(event, P.FundingCommitted):
            lines[(event.partner, event.funding)] = Line(
                event.partner, event.funding, event.instrument, event.title, fact
            )
        elif (event.partner, event.funding) in lines:
            lines[(event.partner, event.funding)].later.append((kinds[type(event)], fact))
    return list(lines.values())


def _fact_type(code: str, negative: bool, committed: bool) -> str:
    """The fact a commitment (type 2) or disbursement (type 3) transaction
    records: a negative commitment is a decommitment, and a commitment on a
    line `committed` before adds to it."""
    if code == DISBURSEMENT:
        return "FundingDisbursed"
    if negative:
        return "FundingDecommitted"
    return "FundingIncreased" if committed else "FundingCommitted"


# A fact on a committed line, as the plan names it when it is left out.
_DRAWS = {
    "FundingIncreased": "further commitment",
    "FundingDisbursed": "disbursement",
    "FundingDecommitted": "decommitment",
}


class IatiError(BadInput, ValueError):
    """An IATI file Accord cannot read, with the place of the problem."""


# The transaction types of IATI's TransactionType codelist that Accord does
# not record, by code, to say why a transaction is left out.
_NOT_RECORDED = {
    "1": "incoming funds",
    "4": "expenditure",
    "5": "interest payment",
    "6": "loan repayment",
    "7": "reimbursement",
    "8": "purchase of equity",
    "9": "sale of equity",
    "10": "credit guarantee",
    "11": "incoming commitment",
    "12": "outgoing pledge",
    "13": "incoming pledge",
}


@dataclass
class Planned:
    """A transaction to record: its line in the XML and its `submit --file` line."""

    line: int
    submission: dict[str, Any]


@dataclass
class Skipped:
    """A transaction, or a whole activity, left out: what it is, and why."""

    line: int
    kind: str
    reason: str


@dataclass
class Standing:
    """A funding line as the plan has it so far, in the order it records
    the file: the commitment that opened it and its figures, to leave out
    a payment or a decommitment the line could not take, as the domain
    would refuse it (and with it the whole file)."""

    commitment: Planned
    currency: str
    committed: Decimal
    decommitted: Decimal = Decimal(0)
    disbursed: Decimal = Decimal(0)

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.decommitted - self.disbursed

    def take(self, planned: Planned) -> None:
        """Count a further fact the plan records on the line."""
        amount = _decimal(planned.submission["amount"].partition(" ")[2])
        if amount is None:
            return  # not a number: the domain refuses it in its own sentence
        kind = planned.submission["type"]
        if kind == "FundingIncreased":
            self.committed += amount
        elif kind == "FundingDisbursed":
            self.disbursed += amount
        elif kind == "FundingDecommitted":
            self.decommitted += amount

    def said(self) -> str:
        """Its figures as the domain's refusal names them."""
        currency = self.currency
        said = [f"{currency} {self.decommitted:,} decommitted"] if self.decommitted else []
        said.append(f"{currency} {self.disbursed:,} disbursed" if self.disbursed else "nothing disbursed")
        said.append(f"{currency} {self.remaining:,} remain")
        return f"its commitment of {currency} {self.committed - self.decommitted:,} ({', '.join(said)})"


def _decimal(text: str) -> Decimal | None:
    try:
        found = Decimal(text)
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


@dataclass
class ActivityPlan:
    identifier: str
    line: int
    partner: str | None
    recorded: list[Planned] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Codes IATI's codelists do not know, or have withdrawn, that change nothing recorded.
    noted: list[iati_codes.Noted] = field(default_factory=list)

    def steps(self, already: Set[str] = frozenset()) -> list[tuple[int, str]]:
        """What the plan does with each line of the activity, in the file's
        order, and what it notes; `already`, the keys recorded before
        (recorded once)."""
        steps = [
            (
                p.line,
                f"{'recorded before:' if p.submission['id'] in already else 'record'} {p.submission['type']} "
                f"{p.submission['amount']} on {p.submission['occurred_on']}",
            )
            for p in self.recorded
        ]
        notes = [(noted.line, f"note: {noted.reason}") for noted in self.noted]
        return sorted(steps + [(skipped.line, f"leave out: {skipped.reason}") for skipped in self.skipped] + notes)


def plan(xml: bytes | Path, source: str = "<iati>") -> list[ActivityPlan]:
    """What an IATI activity file would record, activity by activity, and
    what it leaves out and why, with the file's own line numbers: Accord's
    own exports exactly; other publishers' commitments (type 2; a negative
    one is a decommitment) and disbursements (type 3) to one recipient
    country, the identifier as the funding reference, in date order: an
    activity's first commitment opens its line, each later one adds to it
    (an increase), and an increase, a disbursement or a decommitment is
    recorded only on a commitment before it in its currency, a payment or a
    decommitment only within what remains of it."""
    activities = _activities(xml, source)
    version = next(activities).get("version", "")
    if version.startswith("1."):
        raise IatiError(
            f"{source}: IATI {version} is not read (its codes differ): Accord reads versions 2.01 to 2.03; "
            "the IATI Standard's own tools upgrade a file"
        )
    return [_plan_activity(activity, source) for activity in activities]


def _activities(xml: bytes | Path, source: str) -> Iterator[Any]:
    """The <iati-activities> element of a file (its attributes), then each
    <iati-activity> in it, one at a time (workflows.interchange.xmlstream:
    each is gone once the next is read): read without entities or network,
    at most LARGEST bytes."""
    from lxml import etree

    try:
        elements = records(xml, "iati-activities", "iati-activity", LARGEST)
        root = next(elements)
        if root.tag != "iati-activities":
            raise IatiError(f"{source}: not IATI activities (the root element is <{root.tag}>)")
        yield root
        yield from elements
    except etree.XMLSyntaxError as error:
        raise IatiError(f"{source}: not XML: {error}") from None
    except NotText as error:
        raise IatiError(f"{source} {error}") from None


@dataclass(frozen=True)
class Keyed:
    """A transaction of an activity Accord exported, with the submission
    key of the fact it reports: what a proof of that fact must show."""

    activity: str
    partner: str
    key: str
    type: str  # the fact's type: FundingCommitted, FundingIncreased, FundingDisbursed or FundingDecommitted
    amount: str
    currency: str
    occurred_on: str


# The largest IATI file read, to import or to prove its facts (a registry's biggest are a few hundred MB).
LARGEST = 256 * 2**20


def read_in(path: str) -> Path:
    """The IATI file at `path`, to be read as it is parsed (`plan`,
    `keyed`), refused now in a sentence naming it if it holds more than
    LARGEST bytes or cannot be read."""
    try:
        with Path(path).open("rb") as file:
            if os.fstat(file.fileno()).st_size > LARGEST:
                raise too_large(LARGEST)
    except OSError as error:
        raise IatiError(f"{path} cannot be read: {error.strerror or error}") from None
    except NotText as error:
        raise IatiError(f"{path} {error}") from None
    return Path(path)


def keyed_in(path: str) -> list[Keyed]:
    """`keyed` of the file at `path` (`read_in`)."""
    return keyed(read_in(path), path)


def keyed(xml: bytes | Path, source: str = "<iati>") -> list[Keyed]:
    """Every transaction of an IATI file Accord exported that names the
    key of its fact (a transaction without one, or an activity another
    publisher wrote, is not one Accord can prove)."""
    found = []
    activities = _activities(xml, source)
    next(activities)
    for activity in activities:
        identifier, partner = (activity.findtext("iati-identifier") or "").strip(), activity.get(_a("partner"))
        committed = False  # Accord writes a line's commitment first, then what it recorded on it, in order
        for transaction in activity.iterfind("transaction"):
            when, value = transaction.find("transaction-date"), transaction.find("value")
            key = None if when is None else when.get(_a("key"))
            if key is None or partner is None or value is None:
                continue
            amount, code = (value.text or "").strip(), str(_xpath("string(transaction-type/@code)")(transaction))
            kind = _fact_type(code, amount.startswith("-"), committed) if code in (COMMITMENT, DISBURSEMENT) else code
            committed = committed or kind == "FundingCommitted"
            occurred = str(when.get(_a("occurred-on"), ""))
            found.append(Keyed(identifier, partner, key, kind, amount.lstrip("-"), value.get("currency", ""), occurred))
    return found


def reported(path: str, proofs: Sequence[Proof]) -> str:
    """That every transaction of the IATI export at `path` is a fact the
    proofs show, as the export reports it; ProofFails naming those that are not."""
    transactions = keyed_in(path)
    facts = {
        str(proof.record.fact["key"]): (proof.record.type, proof.record.fact)
        for proof in proofs
        if isinstance(proof.record.fact, dict) and isinstance(proof.record.fact.get("key"), str)
    }
    if problems := unproven(transactions, facts):
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ProofFails(f"{problems[0]}{more}: the export reports what the sealed record does not hold")
    return f"each of the {len(transactions)} transactions of {path} is a fact they prove, as it reports it"


def unproven(transactions: Sequence[Keyed], facts: Mapping[str, tuple[str, dict[str, Any] | None]]) -> list[str]:
    """What of each transaction the proven facts (by key: their type and
    the fact as the proof shows it) do not show, one sentence each."""
    problems = []
    for transaction in transactions:
        said = f"{transaction.activity}: the {transaction.type} of {transaction.occurred_on} (key {transaction.key})"
        if transaction.key not in facts:
            problems.append(f"{said} has no proof that holds")
            continue
        kind, fact = facts[transaction.key]
        if fact is None:
            continue  # proven bytes the checker cannot read (encrypted at rest): said by the proof's own check
        shown = (kind, fact.get("partner"), str((fact.get("amount") or {}).get("amount")), str(fact.get("occurred_on")))
        reported = (transaction.type, transaction.partner, transaction.amount, transaction.occurred_on)
        currency = (fact.get("amount") or {}).get("currency")
        if shown != reported or currency != transaction.currency:
            problems.append(
                f"{said} reports {transaction.currency} {transaction.amount} for {transaction.partner}; the sealed "
                f"record holds a {kind} of {currency} {shown[2]} for {shown[1]} on {shown[3]}"
            )
    return problems


def _plan_activity(activity: Any, source: str) -> ActivityPlan:
    identifier = (activity.findtext("iati-identifier") or "").strip()
    countries = [str(country.get("code")) for country in activity.iterfind("recipient-country")]
    partner = activity.get(_a("partner")) or (countries[0] if len(countries) == 1 else None)
    found = ActivityPlan(identifier or "(no identifier)", activity.sourceline, partner)
    found.noted = iati_codes.notes(activity)
    transactions = list(activity.iterfind("transaction"))
    if not transactions:
        if (envelope := _planned_envelope(activity)) is not None:
            found.recorded.append(envelope)
            found.partner = f"envelope of {fit(str(envelope.submission['instrument']), LINE)}"
            return found
        found.skipped.append(Skipped(found.line, "no transactions", "a budget or a programme: nothing to record"))
        return found
    pillars = _pillars_of(activity, len(transactions))
    if isinstance(pillars, Skipped):
        found.skipped.append(pillars)
        return found
    # IATI 2.01 and later may name the recipient on each transaction instead.
    by_transaction = not countries and activity.find("recipient-region") is None
    if partner is None and not (by_transaction and activity.find("transaction/recipient-country") is not None):
        found.skipped.append(_no_partner(activity, countries, len(transactions)))
        return found
    if partner is not None and (why := iati_codes.unrecordable_country(partner)):
        found.partner = None
        reason = f"{why}; {len(transactions)} transaction(s) left out"
        found.skipped.append(Skipped(found.line, "unknown country", reason))
        return found
    line = {
        "funding": activity.get(_a("funding")) or identifier,
        "currency": activity.get("default-currency", ""),
        # Named by the funder, else by the publisher, else the publisher's
        # reference; names and titles made to fit a line (publishers write
        # names of 2,000 characters, titles over several lines).
        "instrument": fit(
            activity.get(_a("instrument"))
            or _text(activity, "participating-org/narrative")
            or _text(activity, "reporting-org/narrative")
            or str(_xpath("string(reporting-org/@ref)")(activity)),
            LINE,
        ),
        "title": fit(_text(activity, "title/narrative"), LINE),
        **_as_recorded(activity),
    }
    committed: dict[str, Standing] = {}  # the funding line the plan has so far, by partner
    recipients: set[str] = set()
    for index, transaction in _in_order(activity, transactions):
        recipient = partner or str(_xpath("string(recipient-country/@code)")(transaction))
        if not recipient:
            reason = "names no recipient country, nor does its activity: Accord records funding by partner country"
            found.skipped.append(Skipped(transaction.sourceline, "no country", reason))
            continue
        if why := iati_codes.unrecordable_country(recipient):
            found.skipped.append(Skipped(transaction.sourceline, "unknown country", why))
            continue
        recipients.add(recipient)
        decided = _plan_transaction(
            transaction, f"iati:{identifier}:{index}", {**line, "partner": recipient}, committed.get(recipient), source
        )
        decided = _with_pillars(decided, transaction, pillars)
        if isinstance(decided, Skipped):
            found.skipped.append(decided)
            continue
        if decided.submission["type"] == "FundingCommitted":
            currency, _, amount = decided.submission["amount"].partition(" ")
            committed[recipient] = Standing(decided, currency, _decimal(amount) or Decimal(0))
        else:
            committed[recipient].take(decided)
        found.recorded.append(decided)
    if found.partner is None:
        found.partner = "by transaction: " + ", ".join(sorted(recipients))
    return found


def _in_order(activity: Any, transactions: list[Any]) -> list[tuple[int, Any]]:
    """An activity's transactions in the order they are recorded, each with
    its number in the file's order: a transaction's key counts it so, as
    files imported before were keyed, and the same file is recorded once.
    Accord's own export lists a line's facts as they were recorded (and
    judged); other publishers' are recorded by date, so that each is judged
    against all that was committed before it, a day's commitments first
    (publishers list one after the payments on it too: BEIS, Global Affairs
    Canada), then in the file's order."""
    numbered = list(enumerate(transactions, 1))
    if activity.get(_a("funding")) is not None:
        return numbered
    return sorted(numbered, key=lambda pair: (_dated(pair[1]), not _commits(pair[1])))


def _dated(transaction: Any) -> str:
    """A transaction's date as written (ISO 8601 dates sort as text); a
    transaction without one is refused when it is planned."""
    return str(_xpath("string(transaction-date/@iso-date)")(transaction))


def _commits(transaction: Any) -> bool:
    """Whether a transaction commits funds (a type 2 of a value not negative)."""
    value = (transaction.findtext("value") or "").strip()
    return bool(_xpath("string(transaction-type/@code)")(transaction) == COMMITMENT and not value.startswith("-"))


def _child(element: Any, tag: str) -> Any:
    """`element.find(tag)` of a tag's name, without the path parser that
    `find` runs at each call (of tens of thousands of transactions)."""
    return next(element.iterchildren(tag), None)


@cache
def _xpath(expression: str) -> Any:
    """An XPath expression compiled once: `element.xpath(expression)`
    compiles it at each call, a third of planning a file's transactions."""
    from lxml import etree

    return etree.XPath(expression)


def _not_money(currency: str) -> str:
    """Why a currency code of ISO 4217 is not money Accord records (the
    SDR, a metal, a fund unit), or "" (a code that is not ISO 4217's at all
    is refused by the domain, in its own sentence)."""
    code = currency.strip().upper()
    try:
        known_currency(code)
    except UnknownCurrency:
        return ""
    try:
        minor_unit(code)
    except UnknownCurrency as error:
        return str(error).removesuffix(": not money")
    return ""


def _text(element: Any, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _planned_envelope(activity: Any) -> Planned | None:
    """The envelope of an activity Accord exported (`_envelope`): its budget,
    keyed in Accord's attribute, as the FundingEnvelopeSet it reports; None
    for any other budget (another publisher's budgets are not envelopes).
    Its values are checked as `submit --file` checks a line's."""
    budget = activity.find("budget")
    key = None if budget is None else budget.get(_a("key"))
    if key is None or activity.get(_a("instrument")) is None:
        return None
    value = budget.find("value")
    currency = (value.get("currency") if value is not None else None) or activity.get("default-currency", "")
    submission = {
        "type": "FundingEnvelopeSet",
        "id": key,
        "instrument": activity.get(_a("instrument")),
        "occurred_on": budget.get(_a("occurred-on")) or (value.get("value-date") if value is not None else None),
        "amount": f"{currency} {_text(budget, 'value')}",
        "first_year": _year(budget, "period-start"),
        "last_year": _year(budget, "period-end"),
    }
    if (share := budget.get(_a("share"))) is not None:
        submission["share"] = share
    return Planned(budget.sourceline, submission)


def _year(budget: Any, period: str) -> int | str:
    """The year a budget's period starts or ends, as a number; as written
    (for the check to refuse, naming it) if it does not begin with one."""
    day = str(budget.xpath(f"string({period}/@iso-date)"))
    return int(day[:4]) if day[:4].isdigit() else day


def _as_recorded(activity: Any) -> dict[str, str]:
    """The instrument and title of an activity Accord exported as it wrote
    them (checked again as `submit --file` checks a line), spaces and all,
    not made to fit as another publisher's are; a line exported without a
    title says so in Accord's attribute (IATI wants one, and is given one)."""
    if activity.get(_a("funding")) is None:
        return {}
    title = activity.get(_a("title"))
    own = {"title": title if title is not None else activity.findtext("title/narrative") or ""}
    if (instrument := activity.get(_a("instrument"))) is not None:
        own["instrument"] = instrument
    return own


def _pillars_of(activity: Any, transactions: int) -> list[str] | Skipped:
    """The pillars an activity's tags of Accord's vocabulary name (vocabulary
    99 under Accord's URI, `PILLARS`), in their order, once each; another
    vocabulary's tags, or another publisher's own, say nothing of pillars.
    A code that is not a pillar leaves the activity out, with its reason:
    recorded under fewer pillars, its money would be counted elsewhere."""
    pillars: list[str] = []
    for tag in activity.iterfind("tag"):
        if tag.get("vocabulary") != OWN_VOCABULARY or tag.get("vocabulary-uri") != PILLARS:
            continue
        code = str(tag.get("code", ""))
        if code not in _pillar_codes():
            reason = f"{_not_a_pillar(code)}; {transactions} transaction(s) left out"
            return Skipped(tag.sourceline, "unknown pillar", reason)
        if code not in pillars:
            pillars.append(code)
    return pillars


def _with_pillars(decided: Planned | Skipped, transaction: Any, line: list[str]) -> Planned | Skipped:
    """A planned fact with the pillars it serves: its line's, unless its
    transaction date names its own in Accord's attribute (an empty one, none)."""
    if isinstance(decided, Skipped):
        return decided
    own = transaction.find("transaction-date").get(_a("pillars"))
    pillars = line if own is None else own.split()
    if unknown := [code for code in pillars if code not in _pillar_codes()]:
        return Skipped(decided.line, "unknown pillar", f"{_not_a_pillar(unknown[0])}; the transaction is left out")
    if pillars:
        decided.submission["pillars"] = list(dict.fromkeys(pillars))
    return decided


@cache
def _pillar_codes() -> tuple[str, ...]:
    """The codes of Accord's pillars (domain.values.Pillar), in their order."""
    from domain.values import Pillar

    return tuple(str(pillar) for pillar in Pillar)


def _not_a_pillar(code: str) -> str:
    """That `code`, shortened to be shown, is not one of Accord's pillars."""
    shown = fit(code, 40) if code.strip() else "(empty)"
    return (
        f"pillar {shown!r} of Accord's vocabulary ({PILLARS}) is not one of Accord's pillars "
        f"({', '.join(_pillar_codes())})"
    )


def _no_partner(activity: Any, countries: list[str], transactions: int) -> Skipped:
    """Why an activity with no one recipient country is left out."""
    regions = [str(region.get("code")) for region in activity.iterfind("recipient-region")]
    if countries:
        kind, why = "several countries", f"names {len(countries)} recipient countries ({', '.join(countries)})"
    elif regions:
        kind, why = "regional activity", f"names region {', '.join(regions)} and no recipient country"
    else:
        kind, why = "no country", "names no recipient country"
    reason = f"{why}: Accord records funding by one partner country; {transactions} transaction(s) left out"
    return Skipped(activity.sourceline, kind, reason)


def _plan_transaction(
    transaction: Any, key: str, activity: dict[str, str], committed: Standing | None, source: str
) -> Planned | Skipped:
    """One transaction as a `submit --file` line, or why it is left out;
    `committed`, the funding line as the plan has it so far."""
    line = transaction.sourceline
    kind = _child(transaction, "transaction-type")
    code = kind.get("code") if kind is not None else None
    if code not in (COMMITMENT, DISBURSEMENT):
        if unknown := iati_codes.unknown_transaction_type(code):
            return Skipped(line, "unknown transaction type", unknown)
        what = _NOT_RECORDED.get(str(code), "other transaction")
        return Skipped(line, what, f"{what} (type {code}): Accord records commitments and disbursements")
    date, value = _child(transaction, "transaction-date"), _child(transaction, "value")
    amount = (value.text or "").strip() if value is not None else ""
    if date is None or not amount:
        raise IatiError(f"{source}, line {line}: a transaction needs a date and a value")
    negative, amount = amount.startswith("-"), amount.removeprefix("-")
    if not amount.strip("0."):
        return Skipped(line, "zero value", "a value of 0 moves no money: nothing to record")
    if code == DISBURSEMENT and negative:
        return Skipped(line, "reversal", f"a disbursement of -{amount} (a reversal): Accord does not record reversals")
    type_name = _fact_type(code, negative, committed is not None)
    currency = value.get("currency") or activity["currency"]
    where = "the value's currency" if value.get("currency") else "the activity's default-currency"
    if unrecordable := iati_codes.unrecordable_currency(currency, where):
        raise IatiError(f"{source}, line {line}: {unrecordable}; nothing was stored")
    if unit := _not_money(currency):
        # IFAD and the development banks commit and pay in the IMF's SDR
        # (XDR), on IATI's currency codelist but no money of a country.
        what = "disbursement" if code == DISBURSEMENT else "decommitment" if negative else "commitment"
        return Skipped(line, "not money", f"a {what} in {currency}: {unit}: Accord records amounts of money")
    if type_name != "FundingCommitted":
        # Published files pay on a commitment of 0, or on none at all; the
        # domain would refuse the whole file for it.
        what = _DRAWS[type_name]
        if committed is None:
            reason = f"a {what} of {amount} with no commitment before it: Accord records a {what} on a commitment"
            return Skipped(line, "no commitment", reason)
        committed_in = committed.currency
        if currency != committed_in:
            reason = (
                f"a {what} in {currency} on a commitment in {committed_in} (line {committed.commitment.line}): "
                "Accord keeps a funding line in one currency"
            )
            return Skipped(line, "other currency", reason)
        # Published files pay on commitments made before the file's years
        # too (USAID's, on earlier fiscal years' obligations): a payment or
        # a decommitment beyond what the file committed before it.
        value = _decimal(amount)
        if type_name != "FundingIncreased" and value is not None and value > committed.remaining:
            reason = (
                f"a {what} of {amount} on {date.get(_a('occurred-on')) or date.get('iso-date')} beyond what remains "
                f"of {committed.said()}: Accord records a {what} within what was committed before it"
            )
            return Skipped(line, "beyond commitment", reason)
    submission = {
        "type": type_name,
        "id": date.get(_a("key")) or key,
        "partner": activity["partner"],
        "funding": activity["funding"],
        "occurred_on": date.get(_a("occurred-on")) or date.get("iso-date"),
        "amount": f"{currency} {amount}",
    }
    if type_name == "FundingCommitted":
        submission.update(instrument=activity["instrument"], title=activity["title"])
    return Planned(line, submission)


@dataclass(frozen=True)
class Opening:
    """A partnership the file funds that is not opened: opened as of the
    file's earliest transaction for it, at that transaction's line."""

    partner: str
    occurred_on: str
    line: int


class PartnershipsNotOpened(IatiError):
    """Partnerships a file funds that are not opened, and were not to be
    opened by the import; nothing was stored."""

    def __init__(self, openings: Sequence[Opening]) -> None:
        first = openings[0]
        super().__init__(
            f"the file funds {len(openings)} partnership(s) not opened: "
            f"{', '.join(opening.partner for opening in openings)}; pass --open-partnerships to open each as of "
            "its earliest transaction in the file, or open each first, e.g. accord submit PartnershipOpened "
            f"--partner {first.partner} --occurred-on {first.occurred_on}; nothing was stored"
        )


@dataclass
class Imported:
    """What importing a file recorded, or would record (a dry run): its
    plan, the partnerships it opens, and what was stored."""

    plans: list[ActivityPlan]
    opened: list[Opening]
    receipt: Receipt


def import_file(
    app: Any,
    xml: bytes | Path,
    source: str,
    actor: str,
    bar: Bar,
    *,
    dry_run: bool = False,
    open_partnerships: bool = False,
) -> Imported:
    """The file's plan and what recording it did: every transaction checked
    as `submit --file` checks a line and decided on its partnership, then
    all recorded or none, problems named by the XML's own line numbers. The
    partnerships it funds that are not opened are refused by name, or with
    `open_partnerships` opened in the same batch. A `dry_run` is all of
    that but the storing: what it says is what the import then stores."""
    plans = _envelopes_set_before(app, plan(xml, source))
    facts = [Fact(p.line, p.submission) for activity in plans for p in activity.recorded]
    with collector_paused():
        with bar(len(facts), "checking") as advance:
            checked = list(zip(facts, validate_facts(facts, advance), strict=True))
        missing = app.not_opened(sorted({submission.subject for _, submission in checked}))
        openings = _openings(missing, checked)
        if openings and not open_partnerships:
            raise PartnershipsNotOpened(openings)
        receipt = record_checked(app, [*_opened(openings, source), *checked], actor, bar, dry_run=dry_run)
    return Imported(plans, openings, receipt)


def _openings(missing: Sequence[str], checked: Sequence[tuple[Numbered, Submission]]) -> list[Opening]:
    """Each partnership `missing`, as of its earliest transaction (the first
    in the file of those dated alike)."""
    from domain.partnership import Partnership

    earliest: dict[str, tuple[date, int, str]] = {}
    wanted = set(missing)
    for line, submission in checked:
        # An envelope's subject is its instrument, which no partnership opens.
        if submission.subject in wanted and submission.aggregate_class is Partnership:
            when = submission.facts()["occurred_on"]
            found = (when.earliest, line.number, str(when))
            earliest[submission.subject] = min(earliest.get(submission.subject, found), found)
    return [Opening(code, earliest[code][2], earliest[code][1]) for code in missing if code in earliest]


def _opened(openings: Sequence[Opening], source: str) -> list[tuple[NumberedLine, Submission]]:
    """The PartnershipOpened of each opening, the file named as its source."""
    name = fit(Path(source).name, LINE)
    lines = [
        NumberedLine(
            opening.line,
            orjson.dumps(
                {
                    "type": "PartnershipOpened",
                    "id": f"iati:opened:{opening.partner}",
                    "partner": opening.partner,
                    "occurred_on": opening.occurred_on,
                    "notes": f"Opened by importing the IATI file {name}, as of its earliest transaction for "
                    f"{opening.partner} (line {opening.line}).",
                }
            ),
        )
        for opening in openings
    ]
    return list(zip(lines, validate_all(lines), strict=True))


def _envelopes_set_before(app: Any, plans: list[ActivityPlan]) -> list[ActivityPlan]:
    """The plans, but for an envelope of an instrument the store already
    gives one under another key: left out with its reason (an instrument has
    one envelope, corrected in place), not refusing the whole file for it."""
    from domain.initiative import Instrument

    for activity in plans:
        for planned in [p for p in activity.recorded if p.submission["type"] == "FundingEnvelopeSet"]:
            given = app.find(Instrument.id_for(str(planned.submission["instrument"])))
            if given is not None and planned.submission["id"] not in given.submissions:
                activity.recorded.remove(planned)
                reason = (
                    f"an envelope for {fit(str(planned.submission['instrument']), 80)}, which the store already "
                    "gives one (an instrument has one envelope; `accord correct` changes it)"
                )
                activity.skipped.append(Skipped(planned.line, "envelope set before", reason))
    return plans
