"""Monthly demand reports built from the call log (the observatory of demand)."""
