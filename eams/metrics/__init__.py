"""Reading metrics back: the query service behind /api/v1/metrics and `eams metrics query`, over
the embedded store (collectors/sinks/store/) or InfluxDB (InfluxQL over /query)."""
