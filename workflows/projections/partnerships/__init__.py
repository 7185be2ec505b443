"""The partnership overview: one row per partnership with the figures its
reports show. `view` writes it; `queries` reads it for `accord partners`
and the reports."""
