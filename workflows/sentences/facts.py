"""The sentences of the facts people record: on a partnership, a meeting,
an initiative, an instrument or an indicator, and their corrections and retractions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workflows.sentences.words import Said, countries, country, cut, day, listed, money, number

State = Said

_A_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}){0,2}")
_MONEY = re.compile(r"[A-Z]{3} [0-9][0-9,]*(\.[0-9]+)?")
# A corrected field by the name people know it by.
FIELDS = {"occurred_on": "date"}

PARTIES = {"eu": "The EU", "member_state": "A member state"}
APPROXIMATE = {"about": "About ", "at_least": "At least ", "at_most": "At most "}


def _then(text: Any, before: str = ": ") -> str:
    """A user's text after what was said, cut; nothing if there is none."""
    return f"{before}{cut(text)}" if text else ""


def _ref(value: Any) -> str:
    return f" ({value})" if value else ""


def opened(s: State) -> str:
    return f"Partnership with {country(s['partner'])} opened" + _then(s.get("notes"))


def visit_planned(s: State) -> str:
    when = f" for {day(s['planned_for'])}" if s.get("planned_for") else ""
    visitors = s.get("visitors") or ()
    by = f" by {cut(listed(visitors))}" if visitors else ""
    return f"Visit to {country(s['partner'])}{by} planned{when}" + _then(s.get("purpose"))


def visit_held(s: State) -> str:
    said = f"Visit to {country(s['partner'])} held by {cut(listed(s.get('visitors') or ()))}"
    if s.get("place"):
        said += f" in {cut(s['place'], 60)}"
    if s.get("met"):
        said += f", meeting {cut(listed(s['met']), 60)}"
    if s.get("topics"):
        said += f", on {cut(listed(s['topics']), 80)}"
    return said


def dialogue_launched(s: State) -> str:
    said = f"Dialogue with {country(s['partner'])} launched: {cut(s['title'])}"
    if s.get("cadence_days"):
        said += f", a round every {number(s['cadence_days'])} days"
    return said + _ref(s.get("dialogue"))


def round_held(s: State) -> str:
    return f"Round of {s.name('dialogue', 'the dialogue {}')} with {country(s['partner'])} held" + _then(
        s.get("outcome")
    )


def funding_committed(s: State) -> str:
    said = f"Funding of {money(s['amount'])} committed to {country(s['partner'])} under {cut(s['instrument'], 60)}"
    return said + _then(s.get("title"), " for ") + _ref(s.get("funding"))


def funding_increased(s: State) -> str:
    return f"Funding of {money(s['amount'])} added to the commitment to {country(s['partner'])}" + _ref(
        s.get("funding")
    )


def funding_disbursed(s: State) -> str:
    return f"{money(s['amount'])} disbursed to {country(s['partner'])} on funding {s['funding']}"


def funding_decommitted(s: State) -> str:
    said = f"{money(s['amount'])} decommitted from funding {s['funding']} for {country(s['partner'])}"
    return said + _then(s.get("reason"))


def commitment_recorded(s: State) -> str:
    partner, party = country(s["partner"]), s.get("party", "")
    who = cut(s["by"], 60) if s.get("by") else PARTIES.get(party, partner)
    said = f"{who} committed" if party == "partner" else f"{who} committed to {partner}"
    said += f": {cut(s['description'])}"
    if s.get("due_on"):
        said += f", due {day(s['due_on'])}"
    if s.get("source"):
        said += f", in {cut(s['source'], 60)}"
    return said + _ref(s.get("commitment"))


def commitment_fulfilled(s: State) -> str:
    return f"Commitment {s['commitment']} with {country(s['partner'])} fulfilled"


def commitment_lapsed(s: State) -> str:
    return f"Commitment {s['commitment']} with {country(s['partner'])} lapsed" + _then(s.get("reason"))


def statement_reaffirmed(s: State) -> str:
    of = f" of {day(s['statement_date'])}" if s.get("statement_date") else ""
    return f"{cut(s['statement'])}{of} reaffirmed with {country(s['partner'])}"


def operation_launched(s: State) -> str:
    agencies = s.get("agency") or ()
    by = f" by {cut(listed(agencies) if isinstance(agencies, list | tuple) else agencies, 60)}" if agencies else ""
    said = f"{cut(s['operation'])} launched with {country(s['partner'])}{by}, starting {day(s['starts_on'])}"
    return said + _ref(cut(s.get("area"), 60))


def talent_partnership(s: State) -> str:
    return f"Talent Partnership with {country(s['partner'])} launched: {cut(s['title'])}"


def arrivals(s: State) -> str:
    approximately = APPROXIMATE.get(s.get("approximation", ""), "")
    said = f"{approximately}{number(s['count'])} arrivals reported on {country(s['partner'])}"
    route = cut(s["route"], 60)
    said += f" by the {route}" + ("" if route.lower().endswith("route") else " route")
    if s.get("destination"):
        said += f" to {cut(s['destination'], 60)}"
    said += f", {day(s['period_start'])} to {day(s['period_end'])}"
    return said + f", according to {cut(s['source'], 60)}"


def note(s: State) -> str:
    return f"Note on {country(s['partner'])}: {cut(s['text'])}"


def meeting_scheduled(s: State) -> str:
    said = f"{cut(s['body'], 80)} set for {day(s['held_on'])}" + _then(s.get("title"))
    if s.get("partners"):
        said += f", with {countries(s['partners'])} on the agenda"
    return said


def meeting_held(s: State) -> str:
    return f"{s.name('meeting', 'Meeting {}')} held" + _then(s.get("outcome"))


def initiative_announced(s: State) -> str:
    said = f"{cut(s['title'])} {s['stage']}"
    if s.get("lead"):
        said += f", led by {cut(s['lead'], 60)}"
    if s.get("partners"):
        said += f", concerning {countries(s['partners'])}"
    return said


def initiative_advanced(s: State) -> str:
    return f"{s.name('initiative', 'Initiative {}')} {s['stage']}"


def envelope_set(s: State) -> str:
    said = f"Envelope of {cut(s['instrument'], 60)} for migration set at {money(s['amount'])}"
    if s.get("share") not in (None, ""):
        said += f", {_percent(s['share'])} of the instrument"
    return said + f", {s['first_year']} to {s['last_year']}"


def indicator_defined(s: State) -> str:
    scope = s["indicator"].partition("/")[0]
    where = "the portfolio" if scope == "portfolio" else country(scope)
    said = f"Indicator {cut(s['indicator'], 60)} of {where} defined: {cut(s['title'])}"
    unit = s.get("unit")
    said += f", in {s.get('currency')}" if unit == "money" else f", a {unit}" if unit else ""
    if s.get("disaggregations"):
        said += f", by {cut(listed(s['disaggregations']), 60)}"
    return said


def _figure(value: Any, approximation: Any = "") -> str:
    """A figure as people write it: its thousands grouped, its
    approximation said ("at least 3,000")."""
    text = str(value)
    whole, point, decimals = text.partition(".")
    if whole.lstrip("-").isdigit():
        text = f"{int(whole):,}" + (point + decimals if decimals else "")
    return APPROXIMATE.get(str(approximation or ""), "").lower() + text


def baseline_set(s: State) -> str:
    said = f"Baseline of indicator {cut(s['indicator'], 60)} set at {_figure(s['value'], s.get('approximation'))}"
    return said + f" on {day(s['measured_on'])}" + _then(s.get("source"), ", according to ")


def target_set(s: State) -> str:
    return f"Target of indicator {cut(s['indicator'], 60)} for {s['period']} set at {_figure(s['value'])}"


def actual_reported(s: State) -> str:
    figure = _figure(s["value"], s.get("approximation"))
    said = f"Indicator {cut(s['indicator'], 60)} for {s['period']}: {figure}"
    if s.get("breakdown"):
        said += f" ({cut(listed(s['breakdown']), 80)})"
    return said + _then(s.get("source"), ", according to ")


def _percent(share: Any) -> str:
    try:
        return f"{float(share) * 100:g}%"
    except ValueError:
        return str(share)


def _amended(s: State) -> str:
    """The fact an amendment names, and on what."""
    target = str(s.get("target", ""))
    fact = "An earlier fact" if target.startswith("sha256:") else f"Fact {target}"
    if s.get("partner"):
        return f"{fact} on {country(s['partner'])}"
    for field in ("meeting", "initiative", "instrument", "indicator"):
        if s.get(field):
            return f"{fact} on {s.name(field, field + ' {}', 60)}"
    return fact


def corrected(s: State) -> str:
    changes = s.get("changes") or {}
    said = ", ".join(f"{FIELDS.get(name, name.replace('_', ' '))} now {_value(v, name)}" for name, v in changes.items())
    return f"{_amended(s)} corrected ({cut(s.get('reason'), 60)}): {cut(said)}"


def retracted(s: State) -> str:
    return f"{_amended(s)} retracted: {cut(s.get('reason'))}"


def _value(value: Any, field: str) -> str:
    if isinstance(value, int):
        return number(value, field)
    if isinstance(value, dict) and value.keys() == {"amount", "currency"}:
        return money(value)
    if isinstance(value, str) and _MONEY.fullmatch(value):
        return money(value.replace(",", ""))
    if isinstance(value, list | tuple):
        return listed(_value(item, field) for item in value)
    return day(value) if isinstance(value, str) and _A_DATE.fullmatch(value) else str(value)


FACTS: dict[str, Callable[[State], str]] = {
    "PartnershipOpened": opened,
    "VisitPlanned": visit_planned,
    "VisitHeld": visit_held,
    "DialogueLaunched": dialogue_launched,
    "DialogueRoundHeld": round_held,
    "FundingCommitted": funding_committed,
    "FundingIncreased": funding_increased,
    "FundingDisbursed": funding_disbursed,
    "FundingDecommitted": funding_decommitted,
    "CommitmentRecorded": commitment_recorded,
    "CommitmentFulfilled": commitment_fulfilled,
    "CommitmentLapsed": commitment_lapsed,
    "StatementReaffirmed": statement_reaffirmed,
    "OperationLaunched": operation_launched,
    "TalentPartnershipLaunched": talent_partnership,
    "ArrivalsReported": arrivals,
    "PartnershipNoteAdded": note,
    "MeetingScheduled": meeting_scheduled,
    "MeetingHeld": meeting_held,
    "InitiativeAnnounced": initiative_announced,
    "InitiativeAdvanced": initiative_advanced,
    "FundingEnvelopeSet": envelope_set,
    "IndicatorDefined": indicator_defined,
    "BaselineSet": baseline_set,
    "TargetSet": target_set,
    "ActualReported": actual_reported,
    "FactCorrected": corrected,
    "FactRetracted": retracted,
}
