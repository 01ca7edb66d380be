"""The call log: one summary row per call and its append-only timeline of events."""
