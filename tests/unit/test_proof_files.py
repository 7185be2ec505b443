"""`accord audit check-proof` reads a proof and a seal as hostile input,
with no store: every malformed file is refused in a sentence (exit 2), every
proof that does not hold says what does not match (exit 3). The proofs here
are made from records held in memory, with the tree's own functions."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from workflows.cli import main
from workflows.store import chain, merkle

AGGREGATE = UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
TOPIC = "domain.partnership:Partnership.VisitHeld"


def facts(count: int) -> list[dict[str, Any]]:
    return [{"partner": "TN", "occurred_on": f"2021-05-{day % 28 + 1:02d}"} for day in range(count)]


def stored(fact: dict[str, Any]) -> bytes:
    return json.dumps(fact, separators=(",", ":")).encode()


def made(count: int = 5, position: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    """A seal of `count` records at positions 1 to `count`, and a proof of one of them."""
    leaves = [
        merkle.leaf_hash(chain.canonical(number, AGGREGATE, number, TOPIC, stored(fact)))
        for number, fact in enumerate(facts(count), start=1)
    ]
    _, audit_path = merkle.path(position - 1, count, leaves)
    seal = {
        "position": count,
        "digest": "ab" * 32,
        "root": merkle.root(leaves).hex(),
        "records": count,
        "sealed_at": "2026-12-07T09:00:00Z",
    }
    fact = facts(count)[position - 1]
    proof = {
        "record": {
            "position": position,
            "aggregate": str(AGGREGATE),
            "version": position,
            "type": "VisitHeld",
            "topic": TOPIC,
            "stored": base64.b64encode(stored(fact)).decode(),
            "fact": fact,
        },
        "leaf_index": position - 1,
        "tree_size": count,
        "audit_path": [sibling.hex() for sibling in audit_path],
    }
    return seal, proof


def check(tmp_path: Path, proof: Any, seal: Any) -> Result:
    """check-proof of these documents (JSON-dumped unless given as bytes), with no store."""
    for name, document in (("proof.json", proof), ("seal.json", seal)):
        data = document if isinstance(document, bytes) else json.dumps(document).encode()
        (tmp_path / name).write_bytes(data)
    return CliRunner(env={"ACCORD_DB": None}).invoke(
        main, ["audit", "check-proof", str(tmp_path / "proof.json"), "--seal", str(tmp_path / "seal.json")]
    )


def refusal(result: Result, file: str) -> str:
    """The sentence after the file's name, with the status checked: bad input."""
    assert result.exit_code == 2, result.output
    prefix = f"accord: the {file} "
    assert result.stderr.startswith(prefix), result.stderr
    return result.stderr.removeprefix(prefix).split(" ", 1)[1].rstrip("\n")


def test_a_proof_made_of_records_in_memory_holds(tmp_path: Path) -> None:
    for count in (1, 2, 5, 8, 13):
        for position in range(1, count + 1):
            seal, proof = made(count, position)

            result = check(tmp_path, proof, seal)

            assert result.exit_code == 0, result.output
            assert result.stdout.startswith(f"the proof holds: position {position} (VisitHeld, aggregate {AGGREGATE}")


def test_a_seals_unknown_fields_are_ignored_a_proofs_refused(tmp_path: Path) -> None:
    seal, proof = made()
    # A field a later Accord may add; a signature's fields are Accord's own (tests/unit/test_seal_signatures.py).
    annotated = {**seal, "archived_by": "the registry"}

    with_unknown = check(tmp_path, proof, annotated)
    extra = check(tmp_path, {**proof, "verified": True}, seal)
    extra_in_record = check(tmp_path, {**proof, "record": {**proof["record"], "note": "ok"}}, seal)

    assert with_unknown.exit_code == 0, with_unknown.output
    assert refusal(extra, "proof") == (
        "holds a field Accord does not write ('verified'): it holds audit_path, leaf_index, record, tree_size"
    )
    assert refusal(extra_in_record, "proof").startswith("record holds a field Accord does not write ('note')")


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("position", "5", "position is not a whole number"),
        ("position", True, "position is not a whole number"),
        ("position", 5.0, "position is not a whole number"),
        ("position", -1, "position is less than 0"),
        ("position", 2**63, "position is larger than any a store holds (at most 9,223,372,036,854,775,807)"),
        ("records", 6, "covers 6 records up to position 5: more than there are positions"),
        ("root", "AB" * 32, "root is not a SHA-256 digest: 64 hex digits, lower case"),
        ("root", "ab" * 31, "root is not a SHA-256 digest: 64 hex digits, lower case"),
        ("digest", None, "digest is not a SHA-256 digest: 64 hex digits, lower case"),
        ("sealed_at", "2026-12-07T10:00:00+01:00", "sealed_at is not a moment in UTC such as 2026-12-07T09:00:00Z"),
        ("sealed_at", "yesterday", "sealed_at is not a moment in UTC such as 2026-12-07T09:00:00Z"),
        ("sealed_at", "2026-12-07T09:00:00", "sealed_at is not a moment in UTC such as 2026-12-07T09:00:00Z"),
    ],
)
def test_a_malformed_seal_is_refused_naming_its_field(tmp_path: Path, field: str, value: Any, said: str) -> None:
    seal, proof = made()

    result = check(tmp_path, proof, {**seal, field: value})

    assert said in refusal(result, "seal")


def test_a_seal_missing_a_field_is_refused(tmp_path: Path) -> None:
    seal, proof = made()
    del seal["root"]

    assert refusal(check(tmp_path, proof, seal), "seal") == "has no root"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"tree_size": 0}, "tree_size is less than 1"),
        ({"leaf_index": 5}, "leaf_index 5 is not in a tree of 5 (tree_size)"),
        ({"leaf_index": -1}, "leaf_index is less than 0"),
        ({"audit_path": "00"}, "audit_path is not a list of hex digests"),
        ({"audit_path": []}, "audit_path holds 0 hashes; leaf 2 of a tree of 5 has 3"),
        ({"audit_path": ["00" * 32] * 64}, "audit_path holds 64 hashes; leaf 2 of a tree of 5 has 3"),
        ({"audit_path": ["zz" * 32, "00" * 32, "00" * 32]}, "audit_path[0] is not a SHA-256 digest"),
        ({"audit_path": ["00" * 33, "00" * 32, "00" * 32]}, "audit_path[0] is not a SHA-256 digest"),
        ({"audit_path": [1, 2, 3]}, "audit_path[0] is not a SHA-256 digest"),
        ({"record": []}, "record is not an object"),
    ],
)
def test_a_malformed_proof_is_refused_naming_its_field(tmp_path: Path, change: dict[str, Any], said: str) -> None:
    seal, proof = made()

    result = check(tmp_path, {**proof, **change}, seal)

    assert said in refusal(result, "proof")


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("aggregate", "not-a-uuid", "aggregate is not a UUID"),
        ("aggregate", "0" * 5000, "aggregate is not a UUID"),
        ("topic", "domain.partnership:VisitHeld\nforged", "topic is not a stored event's topic"),
        ("topic", "x" * 500 + ":Y", "topic is not a stored event's topic"),
        ("type", "FundingDisbursed", "type does not name the event type of its topic (VisitHeld)"),
        ("stored", "not base64!", "stored is not base64 text"),
        ("fact", [1, 2], "fact is neither an object nor null"),
        ("version", 0, "version is less than 1"),
        ("position", 0, "position is less than 1"),
    ],
)
def test_a_malformed_record_is_refused_naming_its_field(tmp_path: Path, field: str, value: Any, said: str) -> None:
    seal, proof = made()
    proof["record"][field] = value

    result = check(tmp_path, proof, seal)

    assert said in refusal(result, "proof")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "is not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"[]", "is not a JSON object"),
        (b'{"tree_size": 1, "tree_size": 2}', "gives the key 'tree_size' twice"),
        (b'{"tree_size": NaN}', "holds NaN, which is not JSON"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[" * 100_000, "nests deeper than any JSON Accord writes"),
        (b'{"tree_size": 1' + b"0" * 5000 + b"}", "is not JSON: Exceeds the limit"),
    ],
)
def test_a_proof_file_that_is_not_one_json_object_is_refused(tmp_path: Path, data: bytes, said: str) -> None:
    seal, _ = made()

    result = check(tmp_path, data, seal)

    assert refusal(result, "proof").startswith(said)


def test_files_larger_than_any_accord_writes_are_refused_before_they_are_parsed(tmp_path: Path) -> None:
    seal, proof = made()

    big_seal = check(tmp_path, proof, json.dumps({**seal, "padding": "x" * 70_000}).encode())
    big_proof = check(tmp_path, b" " * (16 * 1024 * 1024 + 1), seal)

    assert refusal(big_seal, "seal") == "is larger than 64 KB, more than any seal Accord writes"
    assert refusal(big_proof, "proof") == "is larger than 16 MB, more than any proof Accord writes"


def test_a_missing_file_is_refused_in_a_sentence(tmp_path: Path) -> None:
    seal, proof = made()
    check(tmp_path, proof, seal)
    (tmp_path / "seal.json").unlink()

    result = CliRunner().invoke(
        main, ["audit", "check-proof", str(tmp_path / "proof.json"), "--seal", str(tmp_path / "seal.json")]
    )

    assert refusal(result, "seal") == "cannot be read: No such file or directory"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"leaf_index": 1}, "the proof does not hold: position 3 (VisitHeld"),
        ({"audit_path": ["00" * 32] * 3}, "the proof does not hold: position 3 (VisitHeld"),
    ],
)
def test_a_proof_whose_path_does_not_lead_to_the_root_fails(tmp_path: Path, change: dict[str, Any], said: str) -> None:
    seal, proof = made()

    result = check(tmp_path, {**proof, **change}, seal)

    assert result.exit_code == 3
    assert result.stderr.startswith(f"accord: {said}")
    assert f"not the seal's {seal['root']}: the record or its path is not what was sealed" in result.stderr


def test_each_changed_field_of_the_record_makes_the_proof_fail(tmp_path: Path) -> None:
    seal, proof = made(8, 6)
    other = {"partner": "MA", "occurred_on": "2021-05-06"}
    changes = {
        "position": 7,
        "aggregate": "0f8fad5b-d9cb-469f-a165-70867728950f",
        "version": 7,
        "topic": "domain.partnership:Partnership.VisitCancelled",
    }
    for field, value in changes.items():
        record = {**proof["record"], field: value}
        if field == "topic":
            record["type"] = "VisitCancelled"
        result = check(tmp_path, {**proof, "record": record}, seal)
        assert result.exit_code == 3, (field, result.output)
        assert "the proof does not hold" in result.stderr
    forged = {**proof["record"], "stored": base64.b64encode(stored(other)).decode(), "fact": other}
    result = check(tmp_path, {**proof, "record": forged}, seal)
    assert result.exit_code == 3
    assert "the proof does not hold" in result.stderr


def test_a_record_beyond_the_seal_fails(tmp_path: Path) -> None:
    seal, proof = made()
    seal["position"] = 2  # a seal that ends before the record, of the same tree size (gapless: impossible)
    seal["records"] = 2
    proof["tree_size"] = 2
    proof["leaf_index"] = 1
    proof["audit_path"] = proof["audit_path"][:1]

    result = check(tmp_path, proof, seal)

    assert result.exit_code == 3
    assert result.stderr == "accord: position 3 (VisitHeld, aggregate " + str(AGGREGATE) + (
        ", version 3) is beyond the seal, which ends at position 2\n"
    )


def test_a_proof_with_no_fact_proves_its_bytes(tmp_path: Path) -> None:
    seal, proof = made()
    proof["record"]["fact"] = None

    result = check(tmp_path, proof, seal)

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("; it shows no fact: its stored bytes are proven, their reading is left to you\n")


def test_check_proof_answers_in_json_and_still_exits_by_whether_it_holds(tmp_path: Path) -> None:
    seal, proof = made()
    check(tmp_path, proof, seal)
    args = ["audit", "check-proof", str(tmp_path / "proof.json"), "--seal", str(tmp_path / "seal.json"), "--json"]

    holds = CliRunner().invoke(main, args)
    (tmp_path / "seal.json").write_text(json.dumps({**seal, "root": "00" * 32}))
    fails = CliRunner().invoke(main, args)

    assert holds.exit_code == 0, holds.output
    answer = json.loads(holds.stdout)
    assert answer["holds"] is True and answer["said"].startswith("the proof holds: position 3 (VisitHeld")
    assert fails.exit_code == 3
    answer = json.loads(fails.stdout)
    assert answer["holds"] is False and answer["said"].startswith("the proof does not hold: position 3")
    assert fails.stderr == f"accord: {answer['said']}\n"
