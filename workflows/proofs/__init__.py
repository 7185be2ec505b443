"""Seals and proofs of one record for a third party: a seal names the
chain's head and the root of the Merkle tree over the records up to it
(RFC 6962, `workflows.store.merkle`); a proof carries one record's stored
bytes and its audit path in that tree, which anyone holding the seal checks
with no store at hand.

- `formats`: the seal and the proof as JSON, read as hostile input;
- `check`: a proof checked against a seal, needing nothing else;
- `make`: a seal and a proof made from the store.

`formats` and `check` import nothing that opens a store, so that
`accord audit check-proof` runs where no store is.
"""
