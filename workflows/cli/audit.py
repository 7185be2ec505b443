"""The audit commands: the log of every recorded event, proof that the
log is intact (the chain of digests) and that every projection equals a
fresh replay, and seals and proofs of one record for a third party."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import chain, islice
from typing import Any

import click

from workflows.cli.complete import partner_codes
from workflows.cli.context import HOW_MANY, POSITION, Context, Moment, pass_context
from workflows.cli.output import (
    as_json_text,
    echo,
    json_option,
    output_option,
    print_json,
    receipt_option,
    receipt_wanted,
    write,
)
from workflows.cli.progress import progress_bar
from workflows.cli.read import show, wide_option
from workflows.cli.report import emit, replay_options, report_options, source


@click.group()
def audit() -> None:
    """What was recorded, by whom and when; and proof that no one changed it since."""


@audit.command("log")
@click.option(
    "--partner", help="Only events on or naming this partner (and its tasks), e.g. TN.", shell_complete=partner_codes
)
@click.option("--type", "type_name", help="Only events of this type, e.g. VisitHeld or ReminderSent.")
@click.option(
    "--since",
    type=Moment(),
    help="Only events recorded (not happened) at or after this moment, e.g. 2026-12-01 or 2026-12-01T09:00Z.",
)
@click.option(
    "--until",
    type=Moment(),
    help="Only events recorded (not happened) at or before this moment, e.g. 2026-12-31T18:00.",
)
@click.option("--limit", type=HOW_MANY, help="At most this many events, the earliest first.")
@json_option
@wide_option
@pass_context
def audit_log(
    ctx: Context,
    partner: str | None,
    type_name: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    as_json: bool,
    wide: bool,
) -> None:
    """Every stored event in the order it was recorded: position, recorded
    at, actor, type, subject and a summary. The facts people submitted, and
    what Accord recorded itself: tasks, reminders, escalations, dispatches.
    On a terminal it opens in a pager ($PAGER, else less).

    \b
    Example:
      accord audit log --partner TR --type StatementReaffirmed
      accord audit log --since 2026-12-01 --until 2026-12-31T18:00 --json   # recorded then (not the facts' dates)
      accord audit log --type FactCorrected --limit 20
    """
    from workflows.audit import log as audit_log

    partner = partner.strip().upper() if partner else None
    zone = ctx.settings.schedule.zone
    # JSON keeps what machines read (codes, class names, UTC); a table is read by people.
    rows = audit_log.audit_rows(ctx.app, partner, type_name, since=since, until=until, zone=None if as_json else zone)
    first = next(rows, None)
    if first is None and not as_json:
        echo(audit_log.nothing_found(ctx.app, zone, partner, type_name, since=since, until=until))
        return
    rows = chain([first], rows) if first is not None else rows
    columns = ["position", "recorded_at", "actor", "type", "subject", "summary"]
    optional = ["actor", "subject"]
    show(islice(rows, limit), columns, as_json, title="Audit log", paged=True, optional=optional, wide=wide)


@audit.command("replay")
@replay_options
@click.option("--partner", help="Add this partnership's own report, e.g. TR.", shell_complete=partner_codes)
@report_options
@pass_context
def audit_replay(
    ctx: Context, as_of: datetime | None, known_at: datetime | None, partner: str | None, fmt: str, output: str | None
) -> None:
    """The record as it stood, rebuilt in memory from the log: the portfolio,
    funding, open tasks (and one partnership with --partner). The store and
    its projections are not touched. Two different questions:

    \b
    --as-of DATE        what had happened by that date (facts by their date,
                        as recorded now; a fact dated only by its month
                        counts from the month's last day)
    --known-at MOMENT   what had been recorded by then: what Accord showed

    \b
    Example:
      accord audit replay --as-of 2021-05-08 --partner TR
      accord audit replay --known-at 2021-06-07T09:00 --format json -o june.json
    """
    if not (as_of or known_at):
        raise click.UsageError("give --as-of DATE or --known-at MOMENT")
    from workflows.audit.replay import record_report

    with source(ctx, as_of, known_at) as (app, today, said):
        report = record_report(app, today, f"The record {said}", partner=partner, target=ctx.settings.funding_target)
    emit(report, fmt, output)


@audit.command("seal")
@json_option
@output_option("Write the seal to this file ('-': standard output, the default).")
@click.option(
    "--append",
    "append_to",
    type=click.Path(dir_okay=False),
    help="Also append the seal, as one JSON line, to this seals file (made if missing; never rewritten).",
)
@pass_context
def audit_seal(ctx: Context, as_json: bool, output: str | None, append_to: str | None) -> None:
    """Print a seal of the record: the chain's head (the last record's
    position and its digest, which covers every record before it), the
    root of the Merkle tree over the records up to it, how many they are,
    and the moment sealed (UTC); signed by your key (ACCORD_KEY) when one
    is given. The log is checked up to its head first: one that does not
    verify is not sealed. Publish or archive it; later, `audit verify
    --head DIGEST` proves the log still extends it, `audit verify --seals
    FILE` checks the log against every seal of a seals file, `audit
    check-seal` checks its signature with no store, and `audit prove
    POSITION --seal FILE` proves one record is in it to anyone who holds
    the seal. With --json, one JSON object: the seal's file format
    (docs/proofs.md).

    \b
    Example:
      accord audit seal --json -o seal.json
      accord audit seal --append seals.jsonl
    """
    from pathlib import Path

    from workflows.proofs.make import seal
    from workflows.proofs.seals import append

    sealed = seal(ctx.app, ctx.clock.now())
    if append_to is not None:
        append(Path(append_to), sealed)
        echo(f"appended the seal of position {sealed.position} to {append_to}", err=True)
    text = as_json_text(sealed.as_json()) if as_json else f"{sealed}\n"
    write(output, text, f"the seal of position {sealed.position}")


@audit.command("check-seal")
@click.argument("seal_file", metavar="SEAL", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--key",
    "key",
    help="Require this key: a key id (16 hex digits), a public key (64 hex digits) or a file holding one (PEM).",
)
@json_option
def audit_check_seal(seal_file: str, key: str | None, as_json: bool) -> None:
    """Check a seal's signature with no store (none is opened, ACCORD_DB is
    not needed): its key id is its public key's, and the Ed25519 signature
    holds over its fields (docs/proofs.md); with --key, that it is the key
    you expect, as the institution gave it to you. Exits 0 when it holds;
    3, saying what does not, when it does not (or the seal is unsigned).

    \b
    Example:
      accord audit check-seal seal.json
      accord audit check-seal seal.json --key 3f9a0c2e5b7d1a46
      tail -1 seals.jsonl | accord audit check-seal - --key scheduler.pub
    """
    from workflows.proofs.formats import read_seal
    from workflows.proofs.signed import SealFails, check_seal, expected_key

    expected = expected_key(key) if key is not None else None
    sealed = read_seal(seal_file)
    try:
        said = check_seal(sealed, expected)
    except SealFails as failed:
        if as_json:
            print_json({"holds": False, "said": str(failed)})
        raise
    if as_json:
        print_json({"holds": True, "said": said, "key": sealed.key})
        return
    echo(said)


@audit.command("prove")
@click.argument("position", type=POSITION, required=False)
@click.option(
    "--seal",
    "seal_file",
    type=click.Path(dir_okay=False),
    help="A seal `audit seal --json` wrote: the proof is in the tree of its records (default: a seal of now).",
)
@click.option(
    "--iati",
    "iati_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Instead of one position: prove the fact behind each transaction of an IATI file `accord export iati` "
    "wrote, one proof a line.",
)
@output_option("Write the proof to this file ('-': standard output, the default).")
@receipt_option
@pass_context
def audit_prove(
    ctx: Context, position: int | None, seal_file: str | None, iati_file: str | None, output: str | None, as_json: bool
) -> None:
    """Print, as JSON, the record at a position (its aggregate, version,
    type, stored bytes in base64, and its fact for people to read) and its
    inclusion proof in the Merkle tree of a seal's records: its leaf index,
    the tree's size and the audit path. Whoever holds the seal checks it
    with `accord audit check-proof`, with no store. Refused, with exit 3,
    if the records are no longer those the seal covers. With --iati, the
    facts behind every transaction of an IATI export, one proof a line: a
    partner handed the export, the proofs and the seal checks each with
    `check-proof --iati`.

    \b
    Example:
      accord audit seal --json -o seal.json
      accord audit prove 12 --seal seal.json -o proof-12.json
      accord audit prove --iati funding.xml --seal seal.json -o funding-proofs.jsonl
    """
    from workflows.proofs.formats import read_seal
    from workflows.proofs.make import prove, prove_all

    if (position is None) == (iati_file is None):
        raise click.UsageError("give a POSITION, or --iati FILE (not both)")
    receipt = receipt_wanted(output, as_json)
    sealed = read_seal(seal_file) if seal_file is not None else None
    if position is not None:
        proof = prove(ctx.app, position, sealed, ctx.clock.now())
        said = {"position": position, "leaf_index": proof.leaf_index, "tree_size": proof.tree_size}
        write(output, as_json_text(proof.as_json()), f"the proof of position {position}", said if receipt else None)
        return
    assert iati_file is not None
    proofs = prove_all(ctx.app, _iati_positions(ctx, iati_file), sealed, ctx.clock.now())
    lines = "".join(json.dumps(proof.as_json(), ensure_ascii=False) + "\n" for proof in proofs)
    said = {"proofs": len(proofs), "tree_size": proofs[0].tree_size}
    write(output, lines, f"the proofs of the {len(proofs)} facts of {iati_file}", said if receipt else None)


def _iati_positions(ctx: Context, path: str) -> list[int]:
    """The position of the fact behind each transaction of an IATI export."""
    from workflows.interchange.iati import keyed_in
    from workflows.proofs.make import positions_of

    transactions = keyed_in(path)
    if not transactions:
        raise click.UsageError(f"{path} has no transaction Accord exported (none names its fact's key)")
    wanted: dict[str, set[str]] = {}
    for transaction in transactions:
        wanted.setdefault(transaction.partner, set()).add(transaction.key)
    found = positions_of(ctx.app, wanted)
    if missing := [transaction for transaction in transactions if transaction.key not in found]:
        raise click.UsageError(
            f"{len(missing)} transaction(s) of {path} name a fact this store does not hold, first "
            f"{missing[0].activity} (key {missing[0].key}): was the file exported from another store?"
        )
    return sorted(set(found.values()))


@audit.command("check-proof")
@click.argument("proof_file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--seal",
    "seal_file",
    type=click.Path(dir_okay=False),
    required=True,
    help="The seal the proof is checked against, as `audit seal --json` wrote it.",
)
@click.option(
    "--iati",
    "iati_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Also check that every transaction of this IATI export is a fact the proofs show, as the export reports it.",
)
@json_option
def audit_check_proof(proof_file: str, seal_file: str, iati_file: str | None, as_json: bool) -> None:
    """Check a proof `audit prove` made against a seal, with no store (none
    is opened, ACCORD_DB is not needed): the record's leaf is re-computed
    from its stored bytes, the root from the leaf and the audit path, and
    compared with the seal's root; a signed seal's signature is checked
    too (as `audit check-seal` does). Exits 0 when the proof holds; 3,
    saying what does not match, when it does not.

    \b
    Example:
      accord audit check-proof proof-12.json --seal seal.json
      accord audit prove 12 --seal seal.json | accord audit check-proof - --seal seal.json
      accord audit check-proof funding-proofs.jsonl --seal seal.json --iati funding.xml
    """
    from workflows.interchange.iati import reported
    from workflows.proofs.check import ProofFails, check
    from workflows.proofs.formats import read_proofs, read_seal
    from workflows.proofs.signed import SealFails, check_seal

    sealed = read_seal(seal_file)
    proofs = read_proofs(proof_file)
    try:
        held = [check(proof, sealed) for proof in proofs]
        said = held[0] if len(held) == 1 else f"the {len(held)} proofs hold in the seal of position {sealed.position}"
        if iati_file is not None:
            said += f"; {reported(iati_file, proofs)}"
        if sealed.signed:
            said += f"; {check_seal(sealed)}"
    except (ProofFails, SealFails) as failed:
        if as_json:
            print_json({"holds": False, "said": str(failed)})
        raise
    if as_json:
        print_json({"holds": True, "said": said})
        return
    echo(said)


def _head(value: str | None) -> str | None:
    """A sealed head as given, checked for its form: a typo is not tampering."""
    if value is None:
        return None
    from workflows.audit.verify import HEAD

    head = value.strip().lower()
    if not HEAD.fullmatch(head):
        raise click.BadParameter(
            f"{value!r} is not a digest `audit seal` prints: 64 hex digits, or 8 or more of the first"
        )
    return head


@audit.command("verify")
@click.option(
    "--head",
    callback=lambda ctx, param, value: _head(value),
    help="A digest printed by `audit seal` (or its first 8 or more digits): prove the log still extends it.",
)
@click.option(
    "--seals",
    "seals_file",
    type=click.Path(dir_okay=False),
    help="A seals file (a seal a line, as `audit seal --append` and the scheduler write): check the log against each.",
)
@click.option("--no-views", is_flag=True, help="Check the chain only, not the projections.")
@json_option
@pass_context
def audit_verify(ctx: Context, head: str | None, seals_file: str | None, no_views: bool, as_json: bool) -> None:
    """Re-compute the chain of digests over every stored record, judge
    every record again by the rules of the domain (folding each aggregate
    from its events, in memory), compare every projection with a fresh
    replay of the log up to where it has read, and every snapshot and the
    index of submission keys with the log, and list the events a reader
    could not carry. Writes nothing to the store: it is opened read-only,
    the replay made in a scratch file, and a projection or the task
    follower behind the log is told how far behind, not caught up. Exits 0
    when all agree; 3, naming the first bad position, when a record was
    changed, deleted, inserted or reordered; naming each, when a record is
    one the domain would have refused (a payment beyond its commitment, a
    correction that breaks the record, an actor the policy given does not
    permit) or its moment goes back along the log; when a projection,
    snapshot or the key index differs, a reader could not carry an event, or
    a projection or the task follower has read to a position the log no
    longer holds (`accord projections repair` mends those), or a record from
    the first enrolled key on is not covered by one valid signature of a key
    in force when it was written (docs/keys.md), or a seal of the --seals
    file no longer holds (each named by its line and position).

    \b
    Example:
      accord audit verify
      accord audit verify --head 3f9a0c2e --no-views
      accord audit verify --seals seals.jsonl
    """
    from workflows.application.reader import FOLLOWER
    from workflows.audit.verify import verify
    from workflows.judge import SKEW
    from workflows.proofs.seals import read_seals

    # Read first: a file that cannot be read is a mistake, not a finding.
    seals = read_seals(seals_file) if seals_file is not None else None
    # Over the store opened read-only (Context.app): nothing is caught up.
    verdict = verify(ctx.app, head=head, views=not no_views, bar=progress_bar, seals=seals)
    if as_json:
        print_json(verdict.as_json())
        verdict.confirm()
        return
    if verdict.broken is not None:
        echo(f"the chain breaks at {verdict.broken}", err=True)
        echo(f"the {verdict.records:,} records before it verify", err=True)
    else:
        echo(
            f"chain: {verdict.records:,} records verify; head at position {verdict.head.position}, "
            f"digest {verdict.head.digest}"
        )
    _signatures(verdict.signatures)
    if verdict.seals is not None:
        _seals(verdict.seals)
    for finding in verdict.illegal:
        echo(f"the domain would have refused {finding}", err=True)
    if verdict.unnamed:
        echo(f"and {verdict.unnamed:,} more records the domain would have refused", err=True)
    if not verdict.illegal:
        echo(f"domain: {verdict.judged:,} records judged again, each one the domain would have recorded")
    if verdict.judged and verdict.in_order_from != 1:
        start, skew = verdict.in_order_from, f"{SKEW.seconds // 60} minutes"
        echo(
            f"moments: held to go forward from position {start:,}; before it, recorded before Accord kept them in "
            f"order, to go back by no more than {skew}"
            if start
            else f"moments: recorded before Accord kept them in order, held to go back by no more than {skew} "
            "(the next record stored is held to go forward)"
        )
    if verdict.sealed:
        echo(verdict.sealed, err=True)
    elif head is not None and verdict.broken is None:
        echo(f"the log extends the sealed head {head.strip()}")
    for problem in verdict.tracking.values():
        echo(problem, err=True)
    for name, problems in verdict.views.items():
        if problems:
            echo(f"projection {name} differs from a fresh replay:", err=True)
            for problem in problems:
                echo(f"  {problem}", err=True)
        elif behind := verdict.behind.get(name):
            echo(f"projection {name}: equal to a fresh replay up to where it has read, {behind:,} position(s) behind")
        else:
            echo(f"projection {name}: equal to a fresh replay")
    for name, why in verdict.not_compared.items():
        echo(f"projection {name}: {why}")
    if unread := verdict.behind.get(FOLLOWER):
        echo(f"the task follower has {unread:,} position(s) of the log to follow: their tasks are not opened yet")
    for failure in verdict.failures:
        echo(
            f"{failure['reader']} could not carry position {failure['position']} ({failure['type']}): "
            f"{failure['reason']}; a correction or retraction of the fact makes it try again",
            err=True,
        )
    for problem in verdict.bad_snapshots:
        echo(f"{problem}: changed outside Accord; `accord projections rebuild` drops it", err=True)
    if verdict.snapshots and not verdict.bad_snapshots:
        echo(f"snapshots: {verdict.snapshots:,} equal to their aggregates replayed from the log")
    if verdict.bad_keys:
        echo(f"{verdict.bad_keys}: changed outside Accord; a key missing could be recorded twice", err=True)
    elif verdict.keys:
        echo(f"keys: {verdict.keys:,} indexed, one for each fact of the log")
    if verdict.unindexed:
        echo(
            f"keys: the {verdict.unindexed:,} fact(s) recorded before the key index existed are not indexed yet "
            "(the next submission indexes them)"
        )
    took = ", ".join(f"{check} {seconds:.1f} s" for check, seconds in verdict.seconds.items())
    echo(f"took {sum(verdict.seconds.values()):.1f} s: {took}")
    echo(f"records per second: {_rates(verdict.records, verdict.judged, verdict.seconds)}")
    verdict.confirm()


def _signatures(found: Any) -> None:
    """The signatures pass, as `audit verify` says it (workflows.signing.verify)."""
    for problem in found.problems:
        echo(f"signatures: {problem}", err=True)
    before = f"; {found.before_signing:,} written before signing" if found.before_signing else ""
    if found.checked or found.before_signing:
        echo(f"signatures: {found.checked:,} checked, {found.signed:,} records signed{before} ({found.seconds:.1f} s)")


def _seals(found: Any) -> None:
    """The seals pass, as `audit verify` says it (workflows.proofs.seals)."""
    for problem in found.problems:
        echo(f"seals: {problem}", err=True)
    if not found.problems:
        signed = f", {found.signed:,} of them signed" if found.signed else ""
        echo(f"seals: the log holds all {found.seals:,} seals of {found.file}{signed} ({found.seconds:.1f} s)")


def _rates(chained: int, judged: int, seconds: dict[str, float]) -> str:
    """Records per second of the passes over every record: the chain's, the domain's."""
    done = {"chain": chained, "domain": judged}
    return ", ".join(f"{name} {count / seconds[name]:,.0f}" for name, count in done.items() if seconds.get(name))
