"""The European Central Bank's euro foreign exchange reference rates, read
from its files as it publishes them: the history (`eurofxref-hist.csv`,
one line a day, a column a currency, N/A where a currency is not quoted),
the day's (`eurofxref.csv`: "Date, USD, ..." and "17 June 2021, 1.1937,
..."), either inside the zip the ECB serves, and the XML of the day, the
last 90 days or the history (`eurofxref-daily.xml`: Cube elements with a
time, each holding a Cube of currency and rate).

Each rate is read as the text the ECB wrote, exactly (a Decimal), and
every problem is named by its line; a file holds at most LARGEST bytes.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from domain.rates import MOST_RATES, QUOTED
from workflows.application.rates import DayRates
from workflows.base.failures import BadInput
from workflows.base.textfile import NotText, read_bounded

SOURCE = "ECB euro foreign exchange reference rates"
BASE = "EUR"
# The history in CSV is under 2 MB, its XML under 8 MB; room for decades more.
LARGEST = 64 * 2**20
# The most problems named before the rest are counted.
NAMED = 20
_RATE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,10})?")
_NOT_QUOTED = frozenset({"", "N/A", "NA", "-"})
_CUBE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}Cube"


class RatesFileError(BadInput, ValueError):
    """A file that is not one of the ECB's reference-rate files; each problem
    named by its line."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - NAMED} more)" if len(problems) > NAMED else ""
        super().__init__(f"{path}: " + "; ".join(problems[:NAMED]) + more + "; nothing was recorded")


def read_rates(path: str | Path) -> list[DayRates]:
    """The days of rates in one of the ECB's files, in the file's order."""
    try:
        data = read_bounded(path, LARGEST)
    except NotText as error:
        raise RatesFileError(str(path), [str(error)]) from None
    return parse_rates(data, Path(path).name)


def parse_rates(data: bytes, name: str) -> list[DayRates]:
    """The days of rates in a file's bytes (`name`: the file's, to say where)."""
    if data.startswith(b"PK"):
        data = _only_member(data, name)
    if not data.strip():
        raise RatesFileError(name, ["the file is empty"])
    problems: list[str] = []
    days = _xml(data, problems) if data.lstrip().startswith(b"<") else _csv(data, problems)
    if problems:
        raise RatesFileError(name, problems)
    return days


def _only_member(data: bytes, name: str) -> bytes:
    """The one file inside a zip, as the ECB serves its files."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [member for member in archive.infolist() if not member.is_dir()]
            if len(members) != 1:
                raise RatesFileError(name, [f"a zip of the ECB holds one file; this one holds {len(members)}"])
            if members[0].file_size > LARGEST:
                raise RatesFileError(name, [f"{members[0].filename} is larger than {LARGEST // 2**20} MB unpacked"])
            return archive.read(members[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise RatesFileError(name, [f"not a zip that can be read: {error}"]) from None


def _csv(data: bytes, problems: list[str]) -> list[DayRates]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(f"not UTF-8 text (byte {error.start})")
        return []
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(rows, [])]
    if not header or header[0] != "Date":
        problems.append("line 1: the ECB's files begin with a header 'Date, USD, JPY, ...'")
        return []
    currencies = header[1:]
    while currencies and not currencies[-1]:
        currencies.pop()  # the ECB ends every line with a comma
    wrong = [code for code in currencies if not QUOTED.fullmatch(code)]
    if wrong or not currencies or len(currencies) > MOST_RATES or len(set(currencies)) != len(currencies):
        said = f"{wrong[0]!r} is not a currency" if wrong else "its currencies are missing, repeated or too many"
        problems.append(f"line 1: {said}")
        return []
    days = []
    for number, row in enumerate(rows, start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        day = _day(cells[0], number, problems)
        values = cells[1:]
        while len(values) > len(currencies) and not values[-1]:
            values.pop()  # the comma that ends the line
        if len(values) > len(currencies):
            problems.append(f"line {number}: {len(values)} values for {len(currencies)} currencies")
            continue
        quoted = {code: text for code, text in zip(currencies, values, strict=False) if text not in _NOT_QUOTED}
        days += _day_rates(day, quoted, number, problems)
    if not days and not problems:
        problems.append("it holds no day of rates")
    return days


def _xml(data: bytes, problems: list[str]) -> list[DayRates]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        problems.append(f"line {error.lineno}: not XML that can be read: {error.msg}")
        return []
    days = []
    for cube in root.iter(_CUBE):
        if "time" not in cube.attrib:
            continue
        number = cube.sourceline or 0
        day = _day(cube.get("time", ""), number, problems)
        quoted: dict[str, str] = {}
        for each in cube.iter(_CUBE):
            if "currency" in each.attrib:
                quoted[each.get("currency", "")] = each.get("rate", "").strip()
        wrong = [code for code in quoted if not QUOTED.fullmatch(code)]
        if wrong:
            problems.append(f"line {number}: {wrong[0][:20]!r} is not a currency")
            continue
        days += _day_rates(day, quoted, number, problems)
    if not days and not problems:
        problems.append("it holds no Cube with a time: not the ECB's reference rates")
    return days


def _day(text: str, number: int, problems: list[str]) -> date | None:
    """2021-06-17 (the history), or 17 June 2021 (the day's file)."""
    for form in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    problems.append(f"line {number}: {text[:40]!r} is not a day (2021-06-17)")
    return None


def _day_rates(day: date | None, quoted: dict[str, str], number: int, problems: list[str]) -> list[DayRates]:
    """The day's rates, if its day and each of its rates can be read."""
    rates = _rates(quoted, number, problems)
    return [DayRates(day, BASE, rates)] if day is not None and rates is not None else []


def _rates(quoted: dict[str, str], number: int, problems: list[str]) -> dict[str, Decimal] | None:
    wrong = [(code, text) for code, text in quoted.items() if not _RATE.fullmatch(text) or not Decimal(text)]
    if wrong:
        code, text = wrong[0]
        problems.append(f"line {number}: {text[:40]!r} is not a rate of {code} (a positive number such as 1.1937)")
        return None
    if not quoted:
        problems.append(f"line {number}: no currency is quoted")
        return None
    if BASE in quoted:
        problems.append(f"line {number}: {BASE} is quoted against itself")
        return None
    return {code: Decimal(text) for code, text in quoted.items()}
