"""`syslog`: messages counted per device, severity, event and vendor every `counts_interval_s`
(collectors/syslog/README.md, "What is produced"). The text itself never goes to InfluxDB."""

from __future__ import annotations

from collectors.schema import FieldSchema, MeasurementSchema

SYSLOG = MeasurementSchema.declare(
    "syslog",
    tags=("device", "source", "severity", "event", "vendor"),
    fields=[
        FieldSchema("count", "int", description="messages in the interval (sum it for totals)"),
        FieldSchema("bytes", "int", description="their size in bytes as received"),
    ],
    description="Syslog messages per interval; `device` for inventory devices, `source` (address) for "
    "unknown senders; `event` is the vendor event name or `none`, `severity` the syslog severity name.",
    source="syslog intake (collectors/syslog)",
)

MEASUREMENTS = (SYSLOG,)
