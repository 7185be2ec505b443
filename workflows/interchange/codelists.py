"""IATI's codelists as IATI publishes them, vendored in
workflows/data/iati-codelists (each file's repository and commit in its
README.md), read once when first asked: whether a code is in a list, and
whether IATI has withdrawn it, with the list's name and version for the
sentence that says so."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

DATA = Path(str(files("workflows") / "data" / "iati-codelists"))
# Accord's own additions to a vendored list (12 and 13 of TransactionType,
# which IATI 2.03 added after the version vendored): README.md says why.
ADDITIONS = "additions.xml"
ACTIVE, WITHDRAWN = "active", "withdrawn"


@dataclass(frozen=True)
class Source:
    """Where a vendored codelist comes from: IATI's repository and commit."""

    repository: str
    commit: str

    @property
    def version(self) -> str:
        """The list's version as a sentence names it (IATI's files state none of their own)."""
        return f"{self.repository.removeprefix('IATI/')} at {self.commit[:7]}"


_NON_EMBEDDED = "IATI/IATI-Codelists-NonEmbedded"
# Each codelist Accord checks, by IATI's name for it (its file is NAME.xml).
SOURCES = {
    "Country": Source(_NON_EMBEDDED, "09507dd5368e50f75a995b051024297154ae815c"),
    "Currency": Source(_NON_EMBEDDED, "b1254d51b6cb0a5836b4eb2920f88c825f6c7c13"),
    "OrganisationType": Source(_NON_EMBEDDED, "8dceb75ef4d08a3fd4a753c049e22aa0be308abc"),
    "Region": Source(_NON_EMBEDDED, "0dfd1d1f059fc29d160230c7239eae092e002d8b"),
    "Sector": Source(_NON_EMBEDDED, "01cbd84723c577f48b0ee0f0122bacc23f2795fa"),
    "SectorCategory": Source(_NON_EMBEDDED, "0733cd9589e5399bbe3b6944f9f591ac78fd06e9"),
    "TransactionType": Source("IATI/IATI-Codelists", "0fee8cb4caf7de534bf4d16050bced5639839ee9"),
}


@dataclass(frozen=True)
class Codelist:
    """One of IATI's codelists: each code with its status (active or withdrawn)."""

    name: str
    title: str  # the list's own name for itself, e.g. "DAC 5 Digit Sector"
    source: Source
    statuses: dict[str, str]

    @property
    def named(self) -> str:
        """The list as a sentence names it: "IATI's Sector codelist (IATI-Codelists-NonEmbedded at 01cbd84)"."""
        return f"IATI's {self.name} codelist ({self.source.version})"

    def status(self, code: str) -> str | None:
        """ACTIVE or WITHDRAWN, or None for a code the list does not have."""
        return self.statuses.get(code)


class CodelistUnreadable(RuntimeError):
    """A vendored codelist file missing or not IATI's format: an installation
    fault, named with the file, never a publisher's."""


def codelist(name: str) -> Codelist:
    """The codelist `name` (a key of SOURCES), read the first time it is asked for."""
    if name not in SOURCES:
        raise KeyError(f"no IATI codelist {name!r} is vendored: Accord checks {', '.join(sorted(SOURCES))}")
    return _read(name)


def known(name: str, code: str) -> bool:
    """Whether `code` is in the codelist `name`, active or withdrawn."""
    return codelist(name).status(code) is not None


def withdrawn(name: str, code: str) -> bool:
    """Whether IATI has withdrawn `code` from the codelist `name`."""
    return codelist(name).status(code) == WITHDRAWN


@cache
def _read(name: str) -> Codelist:
    root = _parsed(DATA / f"{name}.xml")
    if root.tag != "codelist" or root.get("name") != name:
        raise CodelistUnreadable(f"{DATA / f'{name}.xml'} is not IATI's {name} codelist (its root is <{root.tag}>)")
    statuses = _items(root)
    for added in _parsed(DATA / ADDITIONS).iterfind("codelist"):
        if added.get("name") == name:
            statuses.update(_items(added))
    title = (root.findtext("metadata/name/narrative") or name).strip()
    return Codelist(name, title, SOURCES[name], statuses)


def _parsed(path: Path) -> Any:
    from lxml import etree

    # Read as any file from elsewhere is: no entities, no network.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        return etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as error:
        raise CodelistUnreadable(f"the IATI codelist file {path} cannot be read: {error}") from None


def _items(root: Any) -> dict[str, str]:
    """Each item's code and status, in either of IATI's layouts (with or
    without <codelist-items>); an item with no status is active."""
    return {
        (item.findtext("code") or "").strip(): item.get("status", ACTIVE)
        for item in root.iter("codelist-item")
        if (item.findtext("code") or "").strip()
    }
