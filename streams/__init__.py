"""The worker: the Faust app (app.py, the composition root), its agents, their delivery, the
Kafka edge and what operators see. May import services, never the simulator; nothing here
imports claims/ (the tools) or reference_payment/."""
