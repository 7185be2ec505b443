"""The meetings as scheduled and held, and each partner's latest facts, for
briefings. `view` writes them; `queries` answers what reports, the
scheduler and the calendar export ask."""
