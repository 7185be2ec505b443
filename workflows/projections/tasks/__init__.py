"""The task list: one row per follow-up task. `view` writes it; `queries`
answers what the command line, the follower and the scheduler ask of it,
without importing the domain."""
