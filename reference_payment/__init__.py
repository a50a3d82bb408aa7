"""The payment teams' reference service: consumes payment instructions, reports results.

Self-contained on purpose (kafka-python, fastavro and the .avsc files only), so a payment team
can copy it: it imports nothing from this repository's packages."""
