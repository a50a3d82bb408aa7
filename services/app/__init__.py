"""Use cases: intake, coverage state, adjudication and settlement, over ports the adapters implement."""
