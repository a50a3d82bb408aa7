"""What operators see of a running worker: /healthz and /readyz, /claims/{id}, timers that keep
the gauges current, and logging. May import streams.kafka, services and the worker's Pipeline."""
