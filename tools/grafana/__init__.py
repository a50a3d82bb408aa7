"""The claims dashboard's parts: panel and query helpers, and its rows (grafana_dashboard.py
assembles them)."""
