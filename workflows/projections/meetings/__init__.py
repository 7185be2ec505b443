"""The meetings as scheduled and held, for briefings. `view` writes them;
`queries` answers what reports, the scheduler and the calendar export ask."""
