"""The seal and the proof as files: one JSON object each, written by
`accord audit seal --json` and `accord audit prove`, and read back as
hostile input (a third party's copy, or a forger's): the file's size, its
JSON (no repeated key, no NaN), every field's type, every integer's range
and every hex string's length are checked, and anything else is refused in
one sentence naming the file and the field.

A seal's fields beyond its own are ignored (a field a later Accord adds
changes nothing a proof is checked against); a proof's are refused, since
a reader could take a field no one checked for one that was. A signed seal
carries its key id, its public key and an Ed25519 signature over the bytes
`Seal.signed_bytes` gives (docs/proofs.md), all three or none.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from workflows.base.failures import BadInput
from workflows.base.textfile import NotText, read_bounded
from workflows.store import chain, merkle

# The most a seal file and a proof file may hold: a seal is a few hundred
# bytes; a proof, one record's stored bytes twice over (base64 and read).
SEAL_BYTES = 64 * 1024
PROOF_BYTES = 16 * 1024 * 1024
# A file of proofs, one a line: the facts of an IATI export, say.
PROOFS_BYTES = 256 * 1024 * 1024
# Positions, versions and counts as the databases hold them (a signed 64-bit integer).
LARGEST = 2**63 - 1
DIGEST = re.compile(r"[0-9a-f]{64}")
SHA256 = "a SHA-256 digest: 64 hex digits, lower case"
# A stored event's topic, `module:QualName`: no newline, which separates the fields a leaf covers.
TOPIC = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,199}:[A-Za-z_][A-Za-z0-9_.]{0,199}")
MOMENT = 40  # characters of a moment, at most
KEY_ID = re.compile(r"[0-9a-f]{16}")
PUBLIC_KEY = re.compile(r"[0-9a-f]{64}")
SIGNATURE = re.compile(r"[0-9a-f]{128}")
SIGNED = ("key", "public_key", "signature")


class Malformed(BadInput):
    """A seal or proof file that is not one Accord writes: the sentence names what is wrong."""


@dataclass(frozen=True)
class Seal:
    """The chain's head (its position and digest), the Merkle root over the
    records up to it and how many they are (the tree's size), and when it
    was sealed (UTC); signed, the key id and raw public key (hex) of the
    key that signed it, and the signature (hex)."""

    position: int
    digest: str
    root: str
    records: int
    sealed_at: datetime
    key: str | None = None
    public_key: str | None = None
    signature: str | None = None

    @property
    def signed(self) -> bool:
        return self.signature is not None

    def signed_bytes(self, key: str) -> bytes:
        """What a seal's signature covers: its fields on lines of their own
        after `accord seal`, the moment as the seal states it, and the key
        id of the key that signs (docs/proofs.md)."""
        fields = (self.position, self.digest, self.root, self.records, moment_text(self.sealed_at), key)
        return "\n".join(["accord seal", *map(str, fields)]).encode()

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "position": self.position,
            "digest": self.digest,
            "root": self.root,
            "records": self.records,
            "sealed_at": moment_text(self.sealed_at),
        }
        if self.signed:
            document |= {"key": self.key, "public_key": self.public_key, "signature": self.signature}
        return document

    def __str__(self) -> str:
        signed = f" signed by key {self.key}" if self.signed else ""
        return (
            f"position {self.position} digest {self.digest} root {self.root} records {self.records} "
            f"sealed {moment_text(self.sealed_at)}{signed}"
        )


@dataclass(frozen=True)
class Record:
    """A stored record as a proof carries it: the columns the chain and the
    tree cover, and its fact as the store read it, for people (`fact`)."""

    position: int
    aggregate: UUID
    version: int
    topic: str
    stored: bytes
    fact: dict[str, Any] | None

    @property
    def type(self) -> str:
        """The event type a topic names (`domain.partnership:VisitHeld` -> VisitHeld)."""
        return self.topic.rpartition(":")[2].rpartition(".")[2]

    def leaf(self) -> bytes:
        """The leaf's hash: the record's bytes as the chain covers them."""
        return merkle.leaf_hash(chain.canonical(self.position, self.aggregate, self.version, self.topic, self.stored))

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "aggregate": str(self.aggregate),
            "version": self.version,
            "type": self.type,
            "topic": self.topic,
            "stored": base64.b64encode(self.stored).decode(),
            "fact": self.fact,
        }


@dataclass(frozen=True)
class Proof:
    """A record, and its audit path in the tree of a seal's records: the
    record is leaf `leaf_index` (its rank in position order: positions may
    leave gaps) of a tree of `tree_size` leaves."""

    record: Record
    leaf_index: int
    tree_size: int
    audit_path: tuple[bytes, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "record": self.record.as_json(),
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "audit_path": [sibling.hex() for sibling in self.audit_path],
        }


def moment_text(moment: datetime) -> str:
    """A moment in UTC to the second, as a seal states it: 2026-12-07T09:00:00Z."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_seal(path: str) -> Seal:
    """The seal in a file `audit seal --json` wrote ('-': standard input)."""
    return parse_seal(_document(path, SEAL_BYTES, "seal"), f"the seal {'on standard input' if path == '-' else path}")


def read_proof(path: str) -> Proof:
    """The proof in a file `audit prove` wrote ('-': standard input)."""
    return parse_proof(
        _document(path, PROOF_BYTES, "proof"), f"the proof {'on standard input' if path == '-' else path}"
    )


def read_proofs(path: str) -> list[Proof]:
    """The proofs in a file `audit prove` wrote ('-': standard input): one
    proof, or one a line (`audit prove --iati`)."""
    named = f"the proof {'on standard input' if path == '-' else path}"
    try:
        data = read_bounded(path, PROOFS_BYTES)
    except NotText as error:
        more = ", more than any file of proofs Accord writes" if str(error).startswith("is larger") else ""
        raise Malformed(f"{named} {error}{more}") from None
    lines = [line for line in data.split(b"\n") if line.strip()]
    if len(lines) > 1 and lines[0].lstrip().startswith(b"{") and lines[0].rstrip().endswith(b"}"):
        return [_proof_line(line, f"{named}, line {at}") for at, line in enumerate(lines, start=1)]
    return [_proof_line(data, named)]


def _proof_line(data: bytes, named: str) -> Proof:
    if len(data) > PROOF_BYTES:
        raise Malformed(f"{named} is larger than {PROOF_BYTES // 2**20} MB, more than any proof Accord writes")
    return parse_proof(loads(data, named), named)


def parse_seal(document: Any, named: str) -> Seal:
    fields = _Fields(document, named)
    position = fields.whole("position", least=0)
    records = fields.whole("records", least=0)
    if records > position:
        raise Malformed(f"{named} covers {records} records up to position {position}: more than there are positions")
    sealed_at = fields.moment("sealed_at")
    signed = {name: document.get(name) for name in SIGNED if name in document}
    if signed and len(signed) < len(SIGNED):
        missing = ", ".join(name for name in SIGNED if name not in signed)
        raise Malformed(
            f"{named} is signed in part: it has no {missing} (a signed seal has key, public_key, signature)"
        )
    if signed:
        fields.hex("key", KEY_ID, "a key id: 16 hex digits, lower case")
        fields.hex("public_key", PUBLIC_KEY, "a raw Ed25519 public key: 64 hex digits, lower case")
        fields.hex("signature", SIGNATURE, "an Ed25519 signature: 128 hex digits, lower case")
        if document["sealed_at"] != moment_text(sealed_at):
            # The signature covers the moment as written: one way to write it.
            raise Malformed(f"{named}: sealed_at of a signed seal is written as 2026-12-07T09:00:00Z, to the second")
    return Seal(
        position=position,
        digest=fields.digest("digest"),
        root=fields.digest("root"),
        records=records,
        sealed_at=sealed_at,
        key=signed.get("key"),
        public_key=signed.get("public_key"),
        signature=signed.get("signature"),
    )


PROOF_FIELDS = {"record", "leaf_index", "tree_size", "audit_path"}
RECORD_FIELDS = {"position", "aggregate", "version", "type", "topic", "stored", "fact"}


def parse_proof(document: Any, named: str) -> Proof:
    fields = _Fields(document, named, exactly=PROOF_FIELDS)
    size = fields.whole("tree_size", least=1)
    index = fields.whole("leaf_index", least=0)
    if index >= size:
        raise Malformed(f"{named}: leaf_index {index} is not in a tree of {size} (tree_size)")
    hashes = fields.get("audit_path", list, "a list of hex digests")
    expected = merkle.path_length(index, size)
    if len(hashes) != expected:
        raise Malformed(
            f"{named}: audit_path holds {len(hashes)} hashes; leaf {index} of a tree of {size} has {expected}"
        )
    audit_path = tuple(
        bytes.fromhex(_digest(value, f"{named}: audit_path[{number}]")) for number, value in enumerate(hashes)
    )
    record = _record(fields.get("record", dict, "an object"), f"{named}: record")
    return Proof(record=record, leaf_index=index, tree_size=size, audit_path=audit_path)


def _record(document: dict[str, Any], named: str) -> Record:
    fields = _Fields(document, named, exactly=RECORD_FIELDS)
    position = fields.whole("position", least=1)
    version = fields.whole("version", least=1)
    text = fields.get("aggregate", str, "a UUID")
    try:
        aggregate = UUID(text) if len(text) <= 36 else None
    except ValueError:
        aggregate = None
    if aggregate is None:
        raise Malformed(f"{named}: aggregate is not a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e")
    topic = fields.get("topic", str, "a stored event's topic")
    if not TOPIC.fullmatch(topic):
        raise Malformed(
            f"{named}: topic is not a stored event's topic, module:Name (such as domain.partnership:VisitHeld)"
        )
    stored = _base64(fields.get("stored", str, "base64 text"), f"{named}: stored")
    fact = document.get("fact")
    if fact is not None and not isinstance(fact, dict):
        raise Malformed(f"{named}: fact is neither an object nor null")
    record = Record(position=position, aggregate=aggregate, version=version, topic=topic, stored=stored, fact=fact)
    if fields.get("type", str, "an event type") != record.type:
        raise Malformed(f"{named}: type does not name the event type of its topic ({record.type})")
    return record


class _Fields:
    """A JSON object's fields, each checked for its type as it is taken."""

    def __init__(self, document: Any, named: str, exactly: set[str] | None = None) -> None:
        if not isinstance(document, dict):
            raise Malformed(f"{named} is not a JSON object")
        if exactly is not None and (unknown := sorted(set(document) - exactly)):
            listed = ", ".join(repr(name[:40]) for name in unknown[:3])
            raise Malformed(
                f"{named} holds a field Accord does not write ({listed}): it holds {', '.join(sorted(exactly))}"
            )
        self.document, self.named = document, named

    def get(self, name: str, kind: type, said: str) -> Any:
        if name not in self.document:
            raise Malformed(f"{self.named} has no {name}")
        value = self.document[name]
        # A JSON true is a Python int too: not a number here.
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Malformed(f"{self.named}: {name} is not {said}")
        return value

    def whole(self, name: str, least: int) -> int:
        number: int = self.get(name, int, "a whole number")
        if number < least:
            raise Malformed(f"{self.named}: {name} is less than {least}")
        if number > LARGEST:
            raise Malformed(f"{self.named}: {name} is larger than any a store holds (at most {LARGEST:,})")
        return number

    def digest(self, name: str) -> str:
        return _digest(self.get(name, str, SHA256), f"{self.named}: {name}")

    def hex(self, name: str, form: re.Pattern[str], said: str) -> str:
        value: str = self.get(name, str, said)
        if not form.fullmatch(value):
            raise Malformed(f"{self.named}: {name} is not {said}")
        return value

    def moment(self, name: str) -> datetime:
        text = self.get(name, str, "a moment such as 2026-12-07T09:00:00Z")
        try:
            moment = datetime.fromisoformat(text) if len(text) <= MOMENT else None
        except ValueError:
            moment = None
        if moment is None or moment.utcoffset() != timedelta(0):
            raise Malformed(f"{self.named}: {name} is not a moment in UTC such as 2026-12-07T09:00:00Z")
        return moment


def _digest(value: Any, named: str) -> str:
    if not isinstance(value, str) or not DIGEST.fullmatch(value):
        raise Malformed(f"{named} is not {SHA256}")
    return value


def _base64(text: str, named: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed(f"{named} is not base64 text") from None


def _document(path: str, largest: int, kind: str) -> Any:
    """The JSON document in a file of at most `largest` bytes."""
    named = f"the {kind} {'on standard input' if path == '-' else path}"
    try:
        data = read_bounded(path, largest)
    except NotText as error:
        more = f", more than any {kind} Accord writes" if str(error).startswith("is larger") else ""
        raise Malformed(f"{named} {error}{more}") from None
    return loads(data, named)


def loads(data: bytes, named: str) -> Any:
    """JSON, refusing what a reader could take two ways: a key given twice, NaN or Infinity."""
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_unique, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise Malformed(f"{named} is not UTF-8 text") from None
    except _Refused as error:
        raise Malformed(f"{named} {error}") from None
    except RecursionError:
        raise Malformed(f"{named} nests deeper than any JSON Accord writes") from None
    except ValueError as error:  # JSONDecodeError, and an integer of thousands of digits
        raise Malformed(f"{named} is not JSON: {str(error)[:200]}") from None


class _Refused(ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _Refused(f"gives the key {key[:40]!r} twice")
        document[key] = value
    return document


def _no_constant(name: str) -> Any:
    raise _Refused(f"holds {name}, which is not JSON")
