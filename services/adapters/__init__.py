"""Adapters at the edge: PostgreSQL (postgres: connect_store, migrations, writes; queries: the
named reads; dead_letter_store, payment_results: their tables), the memory store (the port's
fake), rule files and Prometheus metrics. May import services.app (records, ports), never
streams/ or claims/."""
