"""The store: where the events, their chain and the key index live, and how
Accord reaches them.

- `persistence`: the pydantic-aware mapper, and the one place that chooses
  the backend: `library_settings` turns an ACCORD_DB value (a SQLite file or
  a postgresql:// URL) into the library's settings, naming Accord's recorder
  for that database;
- `sqlite`, `postgres`: those recorders, which write the chain and the key
  index in each insert's transaction;
- `chain`, `keys`: the tamper-evident chain and the index of submission keys;
- `database`: transactions, queries and tracking positions for Accord's own
  tables, on either database;
- `retry`: which server errors mean "gone away", and the waiting they call for.

Nothing here knows a view, a rule or a report.
"""
