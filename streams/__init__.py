"""Kafka edge of the claims service: Faust app, topic declarations, Avro codec and agents."""
