"""What an IATI activity's codes are to IATI's own codelists
(workflows.interchange.codelists), in the sentences the import plan gives:
a code Accord records by (a transaction's type and currency, the recipient
country) refuses or leaves out what it names when the list does not know
it; a code Accord does not record (a sector, an organisation's type, a
region) leaves what is recorded as it is, and is noted and counted.

Each sentence names the file's line, the code (quoted, escaped, bounded:
it is the publisher's text), the codelist and its version, and what would
be accepted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.codes import known_country, known_currency, upper
from domain.errors import UnknownCurrency, UnknownPartner
from workflows.interchange.codelists import ACTIVE, WITHDRAWN, codelist

# The most of a publisher's code a sentence shows.
SHOWN = 40
# The codelist a sector's or a region's code is checked against, by its
# vocabulary (IATI's default is 1); codes of other vocabularies (a
# publisher's own, the UN's M49, SDG targets...) are not checked.
SECTORS = {"1": "Sector", "2": "SectorCategory"}
REGIONS = {"1": "Region"}


@dataclass(frozen=True)
class Noted:
    """A code of the file a codelist does not know, or knows as withdrawn,
    that changes nothing recorded: at its line, what it is, and why it is said."""

    line: int
    kind: str
    reason: str


def quoted(code: str) -> str:
    """A publisher's code as a sentence shows it: quoted, with escapes for
    what a terminal would obey, at most SHOWN characters and its length."""
    if len(code) <= SHOWN:
        return repr(code)
    return f"{repr(code[:SHOWN])[:-1]}…' ({len(code):,} characters)"


def notes(activity: Any) -> list[Noted]:
    """Every code of `activity` (and of its transactions) a codelist does
    not know or has withdrawn, among those Accord does not record by:
    organisation types, sectors, regions, and the currencies it names. One
    pass over the activity's elements, an active code costing a look-up:
    files hold hundreds of thousands of them."""
    found = _currency(activity, activity.get("default-currency"), "default currency")
    statuses = {name: codelist(name).statuses for name in ("OrganisationType", "Currency", *SECTORS.values(), "Region")}
    for element in activity.iter(*_NOTED):
        tag = element.tag
        if tag == "value":
            code = element.get("currency")
            if code and statuses["Currency"].get(code) != ACTIVE and element.getparent().tag == "transaction":
                found += _currency(element, code, "currency")
        elif tag in _ORGANISATIONS:
            code = element.get("type")
            if code is not None and code not in statuses["OrganisationType"]:
                found += _org_type(element)
        else:
            lists, what = _VOCABULARIES[tag]
            listed = lists.get(element.get("vocabulary", "1"))
            if listed and statuses[listed].get(element.get("code", "")) != ACTIVE:
                found += _by_vocabulary(element, lists, what)
    return sorted(found, key=lambda noted: noted.line)


_ORGANISATIONS = ("reporting-org", "participating-org")
_VOCABULARIES = {"sector": (SECTORS, "sector"), "recipient-region": (REGIONS, "region")}
# Where they are in IATI's schema: the organisations on the activity, a
# sector and a region on the activity or a transaction, a value in a
# transaction (a budget's is not recorded).
_NOTED = (*_ORGANISATIONS, *_VOCABULARIES, "value")


def unknown_transaction_type(code: str | None) -> str | None:
    """Why a transaction of type `code` is left out, if IATI's
    TransactionType codelist does not have it; None if it does."""
    types = codelist("TransactionType")
    if code is not None and types.status(code) is not None:
        return None
    said = "names no type" if code is None else f"is of type {quoted(code)}"
    return (
        f"a transaction that {said}, which {types.named} does not have (1 to 13; "
        "Accord records 2, a commitment, and 3, a disbursement)"
    )


def unrecordable_currency(code: str, where: str) -> str | None:
    """Why money in currency `code` (named by `where`) cannot be recorded,
    if neither IATI's Currency codelist nor ISO 4217 as Accord reads it
    has the code; None if either does (the domain then judges it)."""
    if codelist("Currency").status(upper(code)) is not None or _iso_currency(code):
        return None
    if not code:
        return (
            "the transaction names no currency: neither its value's currency nor its activity's default-currency does"
        )
    return (
        f"{where} {quoted(code)} is in neither {codelist('Currency').named} nor ISO 4217: "
        "money is recorded in a currency of either, e.g. EUR, USD"
    )


def unrecordable_country(code: str) -> str | None:
    """Why `code` cannot be a partner Accord records funding on, if IATI's
    Country codelist does not have it, has withdrawn it, or has it from
    outside ISO 3166-1 (Kosovo's XK: Accord's partners are ISO codes);
    None if it can."""
    countries = codelist("Country")
    status = countries.status(upper(code))
    if status is None:
        return f"recipient country {quoted(code)} is not in {countries.named}: a country is named by its code, e.g. TN"
    if status == WITHDRAWN:
        return f"recipient country {quoted(code)} is withdrawn from {countries.named}: it names no country today"
    try:
        known_country(upper(code))
    except UnknownPartner:
        return (
            f"recipient country {quoted(code)} is in {countries.named} but not in ISO 3166-1, "
            "whose codes Accord records partners by"
        )
    return None


def _org_type(org: Any) -> list[Noted]:
    types = codelist("OrganisationType")
    code = org.get("type")
    if code is None or types.status(code) is not None:
        return []
    reason = (
        f"<{org.tag}> is of type {quoted(code)}, which {types.named} does not have (e.g. 10, government; "
        "40, multilateral): noted, as Accord records no organisation's type"
    )
    return [Noted(org.sourceline, "unknown organisation type", reason)]


def _by_vocabulary(element: Any, lists: dict[str, str], what: str) -> list[Noted]:
    """A sector or region whose code the codelist of its vocabulary does not
    know, or knows as withdrawn."""
    vocabulary, code = element.get("vocabulary", "1"), element.get("code", "")
    if vocabulary not in lists:
        return []
    named = codelist(lists[vocabulary])
    status = named.status(code)
    if status is None:
        kind, said = f"unknown {what}", f"which {named.named} does not have"
    elif status == WITHDRAWN:
        kind, said = f"withdrawn {what}", f"which {named.named} lists as withdrawn"
    else:
        return []
    reason = f"{what} {quoted(code)} (vocabulary {vocabulary}), {said}: noted, as Accord records no {what}s"
    return [Noted(element.sourceline, kind, reason)]


def _currency(element: Any, code: str | None, what: str) -> list[Noted]:
    """A currency IATI's list does not have or has withdrawn: noted, as
    money in it is recorded if ISO 4217 has it (and refused if not)."""
    if not code:
        return []  # none named: the transaction's own check says so where it matters
    currencies = codelist("Currency")
    status = currencies.status(upper(code))
    if status is None:
        said, kind = f"which {currencies.named} does not have", f"{what} not in IATI's list"
    elif status == WITHDRAWN:
        said, kind = f"which {currencies.named} lists as withdrawn", f"withdrawn {what}"
    else:
        return []
    then = (
        "money in it is recorded as ISO 4217 has it"
        if _iso_currency(code)
        else "money in it is refused, nor does ISO 4217 have it"
    )
    return [Noted(element.sourceline, kind, f"{what} {quoted(code)}, {said}: {then}")]


def _iso_currency(code: str) -> bool:
    try:
        known_currency(upper(code))
    except UnknownCurrency:
        return False
    return True
