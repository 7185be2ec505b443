"""The indicators and every figure reported on them, each with when it was
known: `view` writes them; `queries` reads them on two time axes (as known
at a moment, for the periods up to a date)."""
