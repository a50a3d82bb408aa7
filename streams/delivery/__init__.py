"""How the agents' work is delivered: batches, positions in PostgreSQL, the outbox relay.

`batches` reads a stream in batches and commits each batch's state, effects and consumed
positions in one PostgreSQL transaction; `positions` seeks every assigned partition to the
position PostgreSQL recorded; `outbox` publishes what a committed batch left to send. May import
services (app, adapters' records and errors) and streams.kafka; never the agents or claims/.
"""
