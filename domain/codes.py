"""Country and currency codes (ISO 3166-1 alpha-2, ISO 4217), checked
against pycountry's tables, and each currency's minor unit from the ISO 4217
maintenance agency's own list (the iso4217 package keeps it). Apart from the
value objects, so that reading a partner code (`accord tasks --partner tn`)
needs no pydantic."""

from __future__ import annotations

import difflib
import unicodedata
from functools import lru_cache
from typing import Any

from domain.errors import UnknownCurrency, UnknownPartner


def upper(value: Any) -> Any:
    """Text as codes are written: trimmed, in capitals (anything else, and
    text beyond ASCII, whose capitals may be ASCII letters, as it is)."""
    return value.strip().upper() if isinstance(value, str) and value.isascii() else value


def _pycountry() -> Any:
    # Imported when first needed: it costs a command that reads no code
    # (`accord tasks`) a tenth of its start-up.
    import pycountry

    return pycountry


# Codes repeat across a log of millions of events: remember the answers
# (pure functions of their text).
@lru_cache(maxsize=4096)
def known_country(code: str) -> str:
    if _pycountry().countries.get(alpha_2=code) is None:
        raise UnknownPartner(f"unknown partner {code!r}: not an ISO 3166-1 alpha-2 country code")
    return code


@lru_cache(maxsize=512)
def known_currency(code: str) -> str:
    if _pycountry().currencies.get(alpha_3=code) is None:
        raise UnknownCurrency(f"unknown currency {code!r}: not an ISO 4217 code")
    return code


@lru_cache(maxsize=512)
def minor_unit(code: str) -> int:
    """How many decimals an amount in a currency may have: 2 for EUR, 0 for
    JPY, 3 for TND. A unit without one (gold, the SDR, test codes) is not
    money Accord records."""
    # Imported when first needed: parsing the list costs a command that
    # records no money (most of them) a few hundredths of a second.
    from iso4217 import raw_table

    entry = raw_table.get(code)
    digits = str(entry["CcyMnrUnts"]) if entry else ""
    if not digits.isdigit():
        raise UnknownCurrency(f"{code} has no minor unit in ISO 4217 (a metal, a fund unit or a test code): not money")
    return int(digits)


def country_codes() -> list[str]:
    """Every code `known_country` takes."""
    return [country.alpha_2 for country in _pycountry().countries]


def currency_codes() -> list[str]:
    """Every code `known_currency` takes."""
    return [currency.alpha_3 for currency in _pycountry().currencies]


def partner_code(text: str) -> str:
    """A partner as typed where a code is asked: its code ("tn " is "TN"),
    or its country's name in any case ("tunisia", "Turkiye"), or
    UnknownPartner naming the closest countries by their codes."""
    code = upper(text)
    if not isinstance(code, str) or len(code) <= 2:
        return known_country(code)
    found = _countries_by_name().get(_folded(text))
    if found is not None:
        return found
    closest = closest_countries(text)
    hint = f"; the closest: {', '.join(f'{c} ({country_name(c)})' for c in closest)}" if closest else ""
    raise UnknownPartner(
        f"unknown partner {text.strip()!r}: neither an ISO 3166-1 alpha-2 code nor a country's name{hint}"
    )


def closest_countries(text: str, most: int = 3) -> list[str]:
    """The codes of the countries whose names are closest to `text`."""
    names = _countries_by_name()
    return list(dict.fromkeys(names[n] for n in difflib.get_close_matches(_folded(text), names, n=most * 2)))[:most]


def _folded(text: str) -> str:
    """A name as compared: in no case, without accents ("Türkiye" is "turkiye")."""
    return unicodedata.normalize("NFKD", text.strip()).encode("ascii", "ignore").decode().casefold()


@lru_cache(maxsize=1)
def _countries_by_name() -> dict[str, str]:
    """Each country's names (short, common, official), folded, to its code."""
    names: dict[str, str] = {}
    for country in _pycountry().countries:
        for attribute in ("name", "common_name", "official_name"):
            if name := getattr(country, attribute, None):
                names.setdefault(_folded(name), country.alpha_2)
    return names


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The common name of a country, from its alpha-2 code."""
    country = _pycountry().countries.get(alpha_2=code)
    if country is None:
        raise UnknownPartner(f"unknown partner {code!r}: not an ISO 3166-1 alpha-2 country code")
    return str(getattr(country, "common_name", None) or country.name)
