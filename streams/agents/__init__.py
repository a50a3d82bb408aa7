"""The worker's agents, one module each; every one runs through streams/delivery/batches.py."""
