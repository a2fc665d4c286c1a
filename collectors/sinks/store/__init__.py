"""The embedded metrics store: a local time-series store under `<EAMS_DATA_DIR>/metrics/`, written
by `MetricStoreSink` beside the InfluxDB spool and read by the metrics API (see README.md here)."""
