"""Use cases: intake, participant state, adjudication and settlement (no I/O here)."""
