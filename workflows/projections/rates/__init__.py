"""The exchange rates recorded: each currency's rate of each day, by source."""
