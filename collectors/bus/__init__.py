"""The message bus between collectors and service instances: NATS JetStream (collectors/bus/README.md)."""
