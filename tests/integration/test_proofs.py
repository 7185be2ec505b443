"""Seals and proofs of one record for a third party: `audit seal` states the
chain's head and the Merkle root over the records up to it; `audit prove`
gives one record and its audit path in the tree of a seal's records; and
`audit check-proof` checks it against the seal with no store. Tampering is
done behind Accord's back with the database's own driver. Each test runs on
SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import accord, as_json, open_partners, raw, stored_count, submit_rows, visit
from workflows.cli import main
from workflows.store import chain, merkle

pytestmark = pytest.mark.integration

TAMPERED, BAD_INPUT = 3, 2


def postgres(db: str) -> bool:
    return db.startswith("postgresql")


def rows(db: str) -> list[tuple[Any, ...]]:
    """Every stored record's columns, in position order, read with the database's own driver."""
    column, table = ("notification_id", "accord_events") if postgres(db) else ("rowid", "stored_events")
    with raw(db) as connection:
        found = connection.execute(
            f"SELECT {column}, originator_id, originator_version, topic, state FROM {table} ORDER BY {column}"
        ).fetchall()
    return [tuple(row) for row in found]


def alter(db: str, position: int, old: bytes, new: bytes) -> None:
    """Change a stored record's bytes, as an operator with the writer's grants could."""
    column, table = ("notification_id", "accord_events") if postgres(db) else ("rowid", "stored_events")
    mark = "%s" if postgres(db) else "?"
    with raw(db) as connection:
        [state] = connection.execute(f"SELECT state FROM {table} WHERE {column} = {mark}", (position,)).fetchone()
        assert old in bytes(state)
        connection.execute(
            f"UPDATE {table} SET state = {mark} WHERE {column} = {mark}", (bytes(state).replace(old, new), position)
        )


def seal_to(db: str, path: Path) -> dict[str, Any]:
    result = accord(db, "audit", "seal", "--json", "-o", str(path))
    assert result.exit_code == 0, result.output
    seal: dict[str, Any] = json.loads(path.read_text())
    return seal


def prove(db: str, position: int, seal: Path | None, to: Path) -> Result:
    args = ["--seal", str(seal)] if seal else []
    return accord(db, "audit", "prove", str(position), *args, "-o", str(to))


def check_proof(proof: Path, seal: Path) -> Result:
    """`audit check-proof` as a third party runs it: no --db, no ACCORD_DB."""
    return CliRunner(env={"ACCORD_DB": None}).invoke(
        main, ["audit", "check-proof", str(proof), "--seal", str(seal)], catch_exceptions=False
    )


def test_a_seal_states_the_head_the_root_over_the_records_their_number_and_the_moment(
    demo_db: str, tmp_path: Path
) -> None:
    text = accord(demo_db, "audit", "seal")
    seal = seal_to(demo_db, tmp_path / "seal.json")
    verdict = as_json(accord(demo_db, "audit", "verify", "--json", "--no-views"))

    # The tree computed here from the rows the database holds, apart from Accord's code for it.
    leaves = [merkle.leaf_hash(chain.canonical(*row[:4], bytes(row[4]))) for row in rows(demo_db)]
    assert seal["root"] == merkle.root(leaves).hex()
    assert seal["records"] == len(leaves) == stored_count(demo_db)
    assert (seal["position"], seal["digest"]) == (verdict["head"]["position"], verdict["head"]["digest"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", seal["sealed_at"])
    assert text.exit_code == 0, text.output
    assert re.fullmatch(
        rf"position {seal['position']} digest {seal['digest']} root {seal['root']} records {seal['records']} "
        r"sealed \S+Z\n",
        text.stdout,
    )
    # The digest is still the fourth word, as the README's `cut` takes it.
    assert text.stdout.split()[3] == seal["digest"]


def test_a_proof_holds_against_its_seal_with_no_store_at_hand(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seal = seal_to(demo_db, tmp_path / "seal.json")
    made = prove(demo_db, 12, tmp_path / "seal.json", tmp_path / "proof.json")
    proof = json.loads((tmp_path / "proof.json").read_text())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where a store would be made (accord.db), were one opened

    result = check_proof(tmp_path / "proof.json", tmp_path / "seal.json")

    assert made.exit_code == 0, made.output
    assert "wrote the proof of position 12" in made.stderr
    record = proof["record"]
    [stored] = [row for row in rows(demo_db) if row[0] == 12]
    assert base64.b64decode(record["stored"]) == bytes(stored[4])
    assert (record["position"], record["version"], record["topic"]) == (12, stored[2], stored[3])
    assert record["type"] == stored[3].rpartition(".")[2]
    assert record["fact"] == json.loads(bytes(stored[4]))
    assert proof["tree_size"] == seal["records"]
    assert len(proof["audit_path"]) == merkle.path_length(proof["leaf_index"], proof["tree_size"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"the proof holds: position 12 ({record['type']}, aggregate {record['aggregate']}, version "
        f"{record['version']}) is record {proof['leaf_index'] + 1} of the {seal['records']} the seal of position "
        f"{seal['position']} covers (root {seal['root']}); the fact it shows is what its stored bytes hold"
    )
    assert list(elsewhere.iterdir()) == []


def test_a_proof_made_without_a_seal_is_of_the_head_now_and_can_be_piped_to_the_check(
    demo_db: str, tmp_path: Path
) -> None:
    seal = seal_to(demo_db, tmp_path / "seal.json")

    made = accord(demo_db, "audit", "prove", "3")
    checked = CliRunner().invoke(
        main, ["audit", "check-proof", "-", "--seal", str(tmp_path / "seal.json")], input=made.stdout
    )
    receipt = as_json(accord(demo_db, "audit", "prove", "3", "-o", str(tmp_path / "p.json"), "--json"))

    assert made.exit_code == 0, made.output
    assert receipt == {"output": str(tmp_path / "p.json"), "position": 3, "leaf_index": 2, "tree_size": seal["records"]}
    assert json.loads(made.stdout)["tree_size"] == seal["records"]
    assert checked.exit_code == 0, checked.output
    assert "the proof holds: position 3 " in checked.stdout


def test_a_proof_checked_against_a_later_seal_still_holds(demo_db: str, tmp_path: Path) -> None:
    earlier = seal_to(demo_db, tmp_path / "earlier.json")
    prove(demo_db, 5, tmp_path / "earlier.json", tmp_path / "against-earlier.json")
    assert submit_rows(demo_db, visit("TN", 21), visit("MA", 22)).exit_code == 0
    later = seal_to(demo_db, tmp_path / "later.json")

    made = prove(demo_db, 5, tmp_path / "later.json", tmp_path / "against-later.json")
    holds = check_proof(tmp_path / "against-later.json", tmp_path / "later.json")
    still = check_proof(tmp_path / "against-earlier.json", tmp_path / "earlier.json")
    crossed = check_proof(tmp_path / "against-earlier.json", tmp_path / "later.json")

    assert later["records"] > earlier["records"]
    assert made.exit_code == 0, made.output
    assert holds.exit_code == 0, holds.output
    assert f"of the {later['records']} the seal of position {later['position']} covers" in holds.stdout
    assert still.exit_code == 0, still.output
    # A proof is of one tree's size: against a seal of another, it says so.
    assert crossed.exit_code == TAMPERED
    assert crossed.stderr == (
        f"accord: the proof is of a tree of {earlier['records']} records, the seal's of {later['records']}: "
        "ask for a proof made with --seal of this seal\n"
    )


def test_a_record_altered_after_the_seal_gets_no_proof_and_a_proof_of_it_fails(demo_db: str, tmp_path: Path) -> None:
    """prove refuses (exit 3): the sealed records, hashed again, no longer
    give the seal's root. A proof that hands out the altered bytes with the
    sealed path (what a forger holding only the store could do) fails
    check-proof: its leaf is not the one sealed. The honest proof made
    before still holds: the seal vouches for what was sealed."""
    seal_to(demo_db, tmp_path / "seal.json")
    assert prove(demo_db, 5, tmp_path / "seal.json", tmp_path / "before.json").exit_code == 0
    alter(demo_db, 5, b"2020", b"2019")

    refused = prove(demo_db, 5, tmp_path / "seal.json", tmp_path / "after.json")
    another = prove(demo_db, 9, tmp_path / "seal.json", tmp_path / "another.json")
    unsealed = accord(demo_db, "audit", "prove", "5")
    forged = json.loads((tmp_path / "before.json").read_text())
    [altered] = [row for row in rows(demo_db) if row[0] == 5]
    forged["record"]["stored"] = base64.b64encode(bytes(altered[4])).decode()
    forged["record"]["fact"] = json.loads(bytes(altered[4]))
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    checked = check_proof(tmp_path / "forged.json", tmp_path / "seal.json")

    for result in (refused, another):
        assert result.exit_code == TAMPERED
        assert result.stderr == (
            f"accord: the records up to position {json.loads((tmp_path / 'seal.json').read_text())['position']} "
            "no longer give the seal's root: one of them has changed since it was sealed "
            "(`accord audit verify` names it); no proof is given\n"
        )
    assert not (tmp_path / "after.json").exists()
    # With no seal given, prove seals the head now first, and a log that does not verify is not sealed.
    assert unsealed.exit_code == TAMPERED
    assert "the chain breaks at position 5: the record differs from the one chained" in unsealed.stderr
    assert checked.exit_code == TAMPERED
    assert checked.stderr.startswith("accord: the proof does not hold: position 5 (")
    assert "is not what was sealed\n" in checked.stderr
    assert check_proof(tmp_path / "before.json", tmp_path / "seal.json").exit_code == 0


def test_a_shown_fact_that_is_not_what_the_proven_bytes_hold_fails(demo_db: str, tmp_path: Path) -> None:
    seal_to(demo_db, tmp_path / "seal.json")
    prove(demo_db, 5, tmp_path / "seal.json", tmp_path / "proof.json")
    proof = json.loads((tmp_path / "proof.json").read_text())
    proof["record"]["fact"]["occurred_on"] = "1999-01-01"
    (tmp_path / "proof.json").write_text(json.dumps(proof))

    result = check_proof(tmp_path / "proof.json", tmp_path / "seal.json")

    assert result.exit_code == TAMPERED
    assert "the fact it shows for" in result.stderr
    assert "is not what those bytes hold: do not rely on the fact shown" in result.stderr


def test_a_deleted_record_and_a_rewritten_chain_get_no_proof(demo_db: str, tmp_path: Path) -> None:
    seal = seal_to(demo_db, tmp_path / "seal.json")
    column, table = ("notification_id", "accord_events") if postgres(demo_db) else ("rowid", "stored_events")
    with raw(demo_db) as connection:
        connection.execute(f"DELETE FROM {table} WHERE {column} = 7")

    deleted = prove(demo_db, 7, tmp_path / "seal.json", tmp_path / "proof.json")
    counted = prove(demo_db, 8, tmp_path / "seal.json", tmp_path / "proof.json")
    with raw(demo_db) as connection:
        connection.execute("UPDATE accord_chain SET digest = '" + "0" * 64 + f"' WHERE position = {seal['position']}")
    rewritten = prove(demo_db, 8, tmp_path / "seal.json", tmp_path / "proof.json")

    assert deleted.exit_code == TAMPERED
    assert deleted.stderr == "accord: no record holds position 7, which the chain covers: it was deleted\n"
    assert counted.exit_code == TAMPERED
    assert f"the store holds {seal['records'] - 1} records up to position {seal['position']}, the seal " in (
        counted.stderr
    )
    assert rewritten.exit_code == TAMPERED
    assert rewritten.stderr == (
        f"accord: the chain's digest at position {seal['position']} is not the seal's: this log no longer "
        "extends the seal, or the seal is another store's\n"
    )


def test_a_position_beyond_the_seal_or_holding_no_record_is_refused(db: str, tmp_path: Path) -> None:
    open_partners(db, "TN")
    seal = seal_to(db, tmp_path / "seal.json")
    gap = seal["position"] + 1
    if postgres(db):
        # A rolled-back transaction leaves a position no record holds.
        with raw(db) as connection:
            connection.execute("SELECT nextval(pg_get_serial_sequence('accord_events', 'notification_id'))")
    assert submit_rows(db, visit("TN", 2)).exit_code == 0
    later = seal_to(db, tmp_path / "later.json")

    beyond = prove(db, seal["position"] + 1, tmp_path / "seal.json", tmp_path / "proof.json")
    nothing = prove(db, later["position"] + 5, tmp_path / "later.json", tmp_path / "proof.json")

    assert beyond.exit_code == BAD_INPUT
    assert beyond.stderr == (
        f"accord: position {seal['position'] + 1} is beyond the seal, which ends at position {seal['position']}\n"
    )
    assert nothing.exit_code == BAD_INPUT
    assert "is beyond the seal" in nothing.stderr
    if postgres(db):
        held = prove(db, gap, tmp_path / "later.json", tmp_path / "proof.json")
        assert held.exit_code == BAD_INPUT
        assert held.stderr == f"accord: no record holds position {gap}: the log has no record there\n"
        # Past the gap, a record's leaf is its rank, not its position.
        assert later["records"] < later["position"]
        last = prove(db, later["position"], tmp_path / "later.json", tmp_path / "last.json")
        assert last.exit_code == 0, last.output
        assert json.loads((tmp_path / "last.json").read_text())["leaf_index"] == later["records"] - 1
        assert check_proof(tmp_path / "last.json", tmp_path / "later.json").exit_code == 0


def test_a_proof_of_an_encrypted_record_proves_its_bytes_and_says_the_fact_is_the_stores_reading(
    db: str, tmp_path: Path
) -> None:
    key = CliRunner().invoke(main, ["init", "--new-key"]).stdout.strip()
    keyed = CliRunner(env={"ACCORD_CIPHER_KEY": key})

    def run(*args: str) -> Result:
        return keyed.invoke(main, ["--db", db, "--actor", "tester", *args], catch_exceptions=False)

    assert run("demo").exit_code == 0
    assert run("audit", "seal", "--json", "-o", str(tmp_path / "seal.json")).exit_code == 0
    made = run("audit", "prove", "4", "--seal", str(tmp_path / "seal.json"), "-o", str(tmp_path / "proof.json"))
    proof = json.loads((tmp_path / "proof.json").read_text())

    result = check_proof(tmp_path / "proof.json", tmp_path / "seal.json")

    assert made.exit_code == 0, made.output
    assert proof["record"]["fact"]["partner"]  # read with the key, for people
    assert result.exit_code == 0, result.output
    assert "its stored bytes are not plain JSON (encrypted or compressed at rest)" in result.stdout
    assert "which this check cannot confirm" in result.stdout


def test_an_empty_store_is_sealed_with_the_root_of_no_records(db: str) -> None:
    seal = as_json(accord(db, "audit", "seal", "--json"))

    assert (seal["position"], seal["records"]) == (0, 0)
    assert seal["digest"] == chain.GENESIS
    assert seal["root"] == merkle.EMPTY.hex()


FUNDING = [
    {
        "type": "FundingCommitted",
        "partner": partner,
        "occurred_on": "2021-06",
        "funding": f"{partner.lower()}-border-2021",
        "instrument": "NDICI-Global Europe",
        "amount": "EUR 12500000",
    }
    for partner in ("TN", "MA")
] + [
    {
        "type": "FundingDisbursed",
        "partner": "TN",
        "occurred_on": "2021-09",
        "funding": "tn-border-2021",
        "amount": "EUR 2500000.50",
    },
    {
        "type": "FundingDecommitted",
        "partner": "MA",
        "occurred_on": "2022-03",
        "funding": "ma-border-2021",
        "amount": "EUR 1000000",
    },
]


def funded(db: str, export: Path) -> int:
    """Two partnerships funded, a payment and a decommitment, exported to
    IATI: how many transactions the export holds."""
    open_partners(db, "TN", "MA")
    assert submit_rows(db, *FUNDING).exit_code == 0
    assert accord(db, "export", "iati", "-o", str(export)).exit_code == 0
    return export.read_text().count("<transaction>")


def check_iati(proofs: Path, seal: Path, export: Path) -> Result:
    """`audit check-proof --iati` as a partner runs it: no --db, no ACCORD_DB."""
    return CliRunner(env={"ACCORD_DB": None}).invoke(
        main,
        ["audit", "check-proof", str(proofs), "--seal", str(seal), "--iati", str(export)],
        catch_exceptions=False,
    )


def test_a_partner_handed_an_iati_export_and_a_seal_checks_each_transaction_is_in_the_sealed_record(
    db: str, tmp_path: Path
) -> None:
    export, seal, proofs = tmp_path / "funding.xml", tmp_path / "seal.json", tmp_path / "funding-proofs.jsonl"
    transactions = funded(db, export)
    seal_to(db, seal)

    made = accord(db, "audit", "prove", "--iati", str(export), "--seal", str(seal), "-o", str(proofs))
    held = check_iati(proofs, seal, export)

    assert made.exit_code == 0, made.output
    assert transactions == 4
    lines = proofs.read_text().splitlines()
    assert len(lines) == transactions
    assert {json.loads(line)["record"]["type"] for line in lines} <= {
        "FundingCommitted",
        "FundingDisbursed",
        "FundingDecommitted",
    }
    assert held.exit_code == 0, held.output
    assert f"the {transactions} proofs hold in the seal of position" in held.output
    assert f"each of the {transactions} transactions of {export} is a fact they prove, as it reports it" in (
        held.output
    )


def test_an_iati_export_edited_after_it_left_or_a_proof_left_out_is_named(db: str, tmp_path: Path) -> None:
    export, seal, proofs = tmp_path / "funding.xml", tmp_path / "seal.json", tmp_path / "funding-proofs.jsonl"
    funded(db, export)
    seal_to(db, seal)
    made = accord(db, "audit", "prove", "--iati", str(export), "--seal", str(seal), "-o", str(proofs))
    assert made.exit_code == 0, made.output
    text = export.read_text()
    first = re.search(r'<value currency="(\w+)" value-date="[^"]+">(\d[\d.]*)</value>', text)
    assert first is not None
    edited = tmp_path / "edited.xml"
    edited.write_text(text.replace(first[0], first[0].replace(f">{first[2]}<", f">{first[2]}9<"), 1))
    fewer = tmp_path / "fewer.jsonl"
    fewer.write_text("\n".join(proofs.read_text().splitlines()[1:]) + "\n")

    changed = check_iati(proofs, seal, edited)
    missing = check_iati(fewer, seal, export)

    assert changed.exit_code == TAMPERED
    assert f"reports {first[1]} {first[2]}9 for" in changed.output
    assert "the export reports what the sealed record does not hold" in changed.output
    assert missing.exit_code == TAMPERED
    assert "has no proof that holds" in missing.output


def test_prove_takes_a_position_or_an_iati_file(demo_db: str, tmp_path: Path) -> None:
    neither = accord(demo_db, "audit", "prove")
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?><iati-activities version="2.03"></iati-activities>')
    unkeyed = accord(demo_db, "audit", "prove", "--iati", str(other))

    assert neither.exit_code == BAD_INPUT
    assert "give a POSITION, or --iati FILE (not both)" in neither.output
    assert unkeyed.exit_code == BAD_INPUT
    assert "has no transaction Accord exported (none names its fact's key)" in unkeyed.output
