"""The scheduler: reminders, escalations, digests, reports and briefings, kept exactly once."""
