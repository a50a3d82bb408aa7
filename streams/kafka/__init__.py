"""The Kafka side: the topics (streams/kafka/topics.py is the topic flow), the Avro codec and its
schema catalogue, and topic administration. Imports no worker code, no services.app, no agents."""
