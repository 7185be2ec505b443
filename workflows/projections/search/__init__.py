"""Full-text search over the record: every fact and every task's words,
found by what a person remembers of them. `view` writes one row a fact or
task event (and the full-text index of its store: FTS5 on SQLite, a
tsvector under a GIN index on PostgreSQL); `words` makes the words both
stores index and the queries both stores run; `queries` answers a search."""
