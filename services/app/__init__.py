"""Use cases: intake, participant state, adjudication, settlement, employer accounts and
arrears, imports, re-adjudication.

No I/O here: the store is reached through the Protocols of ports.py. May import services.rules,
services.errors, services.privacy and services.sealing; never adapters, config or a driver."""
