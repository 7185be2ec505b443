"""What someone who runs the database can do to a store that signs its
records, and what `audit verify` says of it: each forgery found (exit 3),
by its position, in a sentence. The appends are made with the writer's own
credentials only (on PostgreSQL the role `accord init --writer` makes,
which may insert but never change or delete a row; on SQLite the file's
owner); a record changed or removed, with every later digest of the chain
computed again, needs more than the writer role on PostgreSQL, so it is
done there as the store's owner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.partnership import Partnership
from tests.conftest import POSTGRES_URL
from tests.forgery import append, forged, remove, rewrite, version_of
from tests.helpers import jsonl
from tests.helpers import keyed as run
from tests.integration.test_append_only import as_user, store  # noqa: F401 (the PostgreSQL store fixture)
from tests.integration.test_judged_record import COMMITMENT, TAMPERED, TN
from workflows.signing.keys import read_key

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Signed:
    """A store that signs: the address the writer uses, the owner's (the
    same on SQLite), and the key its records are signed with."""

    writer: str
    owner: str
    key: Path


@pytest.fixture(params=["sqlite", "postgres"])
def signed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Signed]:
    """The demo and a EUR 105,000,000 commitment to Tunisia, recorded
    through Accord under an administrator's key."""
    key = tmp_path / "admin.key"
    if request.param == "sqlite":
        owner = writer = str(tmp_path / "accord.db")
        assert run(owner, "init", "--admin-key", str(key)).exit_code == 0
    else:
        if not POSTGRES_URL:
            pytest.skip("ACCORD_TEST_POSTGRES_URL is not set")
        owner, role = request.getfixturevalue("store")
        made = run(owner, "init", "--writer", role, "--admin-key", str(key))
        assert made.exit_code == 0, made.output
        writer = as_user(owner, role)
    assert run(writer, "demo", key=key).exit_code == 0
    recorded = run(writer, "submit", "--file", "-", input=jsonl([COMMITMENT]), key=key)
    assert recorded.exit_code == 0, recorded.output
    yield Signed(writer, owner, key)


def disbursement(signed: Signed, amount: str, **envelope: Any) -> int:
    """A disbursement on Tunisia's commitment, appended by the writer around
    Accord with its chain and key-index rows: its position."""
    facts = {"partner": "TN", "occurred_on": "2021-07", "funding": "tn-border-2021", "amount": amount}
    event = forged(
        Partnership,
        Partnership.FundingDisbursed,
        "TN",
        facts,
        version=version_of(signed.writer, TN) + 1,
        **envelope,
    )
    return append(signed.writer, event)


def verified(signed: Signed) -> Any:
    return run(signed.writer, "audit", "verify", key=signed.key)


def test_a_forged_disbursement_appended_by_the_writer_is_named_unsigned_and_illegal(signed: Signed) -> None:
    position = disbursement(signed, "EUR 500000000")

    result = verified(signed)

    assert result.exit_code == TAMPERED, result.output
    assert f"position {position}: no valid signature covers it" in result.output
    assert f"position {position}: FundingDisbursed on partnership TN by finance-director" in result.output
    assert "would exceed its commitment" in result.output


def test_a_forged_record_back_dated_is_named_unsigned_and_back_dated(signed: Signed) -> None:
    # Within what remains of the commitment: only its moment and its signature give it away.
    position = disbursement(signed, "EUR 1000", at=datetime(2021, 6, 1, tzinfo=UTC))

    result = verified(signed)

    assert result.exit_code == TAMPERED, result.output
    assert f"position {position}: no valid signature covers it" in result.output
    assert f"position {position}: FundingDisbursed on partnership TN by finance-director: recorded at 2021-06-01" in (
        result.output
    )
    assert "it was back-dated" in result.output


def test_a_record_changed_with_every_later_digest_computed_again_is_named_by_its_signature(signed: Signed) -> None:
    """The chain alone then verifies; the signature of the transaction that
    stored the record was made over the digest it had."""
    position = last_position_of(signed, b"105000000")
    rewrite(signed.owner, position, b"105000000", b"905000000")

    result = verified(signed)

    assert result.exit_code == TAMPERED, result.output
    assert f"position {position}: the signature by key {read_key(signed.key).key_id} does not verify" in result.output


def test_a_removed_record_is_named_by_its_position(signed: Signed) -> None:
    position = last_position_of(signed, b"105000000")
    remove(signed.owner, position)

    result = verified(signed)

    assert result.exit_code == TAMPERED, result.output
    assert f"the chain breaks at position {position}: the record chained here is missing: deleted" in result.output


def last_position_of(signed: Signed, holding: bytes) -> int:
    from tests.forgery import located
    from tests.helpers import raw

    table, column, _ = located(signed.owner)
    with raw(signed.owner) as connection:
        rows = connection.execute(f"SELECT {column}, state FROM {table} ORDER BY {column}").fetchall()
    found = [int(at) for at, state in rows if holding in bytes(state)]
    assert found, holding
    return found[-1]
