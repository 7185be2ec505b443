"""A proof checked against a seal with nothing else at hand: the record's
leaf re-computed from its stored bytes, the root from the leaf and the
audit path, and compared with the root the seal states. Whoever holds the
seal needs neither the store nor any other record."""

from __future__ import annotations

from workflows.base.failures import VerificationFailed
from workflows.proofs.formats import Malformed, Proof, Seal, loads
from workflows.store import merkle


class ProofFails(VerificationFailed):
    """A proof that does not show its record in the sealed record: the sentence says what does not match."""


def check(proof: Proof, seal: Seal) -> str:
    """A sentence saying that the proof holds, and what of the record it
    proves; ProofFails, saying what does not match, otherwise."""
    record = proof.record
    said = f"position {record.position} ({record.type}, aggregate {record.aggregate}, version {record.version})"
    if proof.tree_size != seal.records:
        raise ProofFails(
            f"the proof is of a tree of {proof.tree_size:,} records, the seal's of {seal.records:,}: "
            "ask for a proof made with --seal of this seal"
        )
    if record.position > seal.position:
        raise ProofFails(f"{said} is beyond the seal, which ends at position {seal.position}")
    computed = merkle.root_from_path(proof.leaf_index, proof.tree_size, record.leaf(), proof.audit_path)
    if computed.hex() != seal.root:
        raise ProofFails(
            f"the proof does not hold: {said}, its stored bytes hashed and combined with the audit path, gives "
            f"the root {computed.hex()}, not the seal's {seal.root}: the record or its path is not what was sealed"
        )
    held = (
        f"the proof holds: {said} is record {proof.leaf_index + 1:,} of the {seal.records:,} the seal of "
        f"position {seal.position} covers (root {seal.root})"
    )
    return f"{held}; {_fact(proof)}"


def _fact(proof: Proof) -> str:
    """What the check says of the fact the proof shows for people: it is
    proven only where it is what the proven bytes hold."""
    record = proof.record
    if record.fact is None:
        return "it shows no fact: its stored bytes are proven, their reading is left to you"
    try:
        stored = loads(record.stored, "the stored bytes")
    except Malformed:
        return (
            "its stored bytes are not plain JSON (encrypted or compressed at rest): the bytes are proven, "
            "the fact shown beside them is the store's reading of them, which this check cannot confirm"
        )
    if stored != record.fact:
        raise ProofFails(
            f"the proof's bytes are sealed, but the fact it shows for {record.type} at position "
            f"{record.position} is not what those bytes hold: do not rely on the fact shown"
        )
    return "the fact it shows is what its stored bytes hold"
