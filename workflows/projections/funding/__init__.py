"""The funding ledger: one row per funding line, and the instruments'
envelopes beside it. `view` writes them; `queries` reads them for the
funding report."""
