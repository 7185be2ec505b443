"""Signed records: every writer signs what it records with an Ed25519 key
held outside the database, and the keys that may sign are facts in the log.

- `keys`: a writer's key pair, made, kept in a file only its owner reads, read back;
- `roster`: the keys the log enrolls and revokes, read from the log itself;
- `verify`: `audit verify`'s pass over the signatures, against the keys in force.

The recorders sign each insert transaction (workflows.store.signatures).
"""
