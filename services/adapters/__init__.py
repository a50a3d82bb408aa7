"""Adapters at the edge: PostgreSQL persistence and Prometheus metrics."""
