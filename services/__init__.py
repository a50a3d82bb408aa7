"""Claims-processing services: pure business rules, use cases and their adapters."""
