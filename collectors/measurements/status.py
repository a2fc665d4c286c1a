"""`collector`: the collectors' own health, one measurement for every part that reports it.

Two writers share it, told apart by their tags:
- the SNMP poller, one point per device and poll (`collectors/snmp/poller.py` `DeviceStatus.sample`),
  tags `component=snmp` plus the device's inventory tags;
- the InfluxDB sink, one point per state interval (`collectors/sinks/influx.py`
  `SpoolingInfluxSink.state_sample`), tags `component=influx_sink` and `instance` (host name);
- the service's event-loop watchdog (`eams/components/loop_watch.py`), tags
  `component=event_loop` and `instance`.
"""

from __future__ import annotations

from collectors.schema import INVENTORY_TAGS, FieldSchema, MeasurementSchema

POLLER = MeasurementSchema.declare(
    "collector",
    tags=(*INVENTORY_TAGS, "component"),
    fields=[
        FieldSchema("reachable", "bool", description="the device answered this poll"),
        FieldSchema("duration_s", "float", description="how long the poll took"),
        FieldSchema("varbinds", "int", description="values read in the poll"),
        FieldSchema("errors", "int", description="SNMP errors in the poll"),
        FieldSchema("timeouts", "int", description="requests that timed out in the poll"),
        FieldSchema("auth_failures", "int", description="requests refused for their SNMPv3 credentials"),
    ],
    description="One point per device poll: did it answer, how long it took.",
    source="snmp poller (collectors/snmp/poller.py)",
)

SINK = MeasurementSchema.declare(
    "collector",
    tags=("component", "instance"),
    fields=[
        FieldSchema("configured", "bool", description="an InfluxDB is configured"),
        FieldSchema("queued_bytes", "int", description="in memory, waiting to be sent"),
        FieldSchema("queued_batches", "int"),
        FieldSchema("spooled_batches", "int", description="on disk, waiting to be replayed"),
        FieldSchema("spooled_bytes", "int", description="size of the spool on disk"),
        FieldSchema("written_points", "int", description="since the process started"),
        FieldSchema("written_batches", "int"),
        FieldSchema("rejected_batches", "int", description="refused by InfluxDB as bad data"),
        FieldSchema("dropped_batches", "int", description="dropped by the spool's size bound"),
        FieldSchema("dropped_bytes", "int"),
        FieldSchema("dropped_fields", "int", description="fields left out by the encoder"),
        FieldSchema("last_success_ns", "int", description="last delivered write, unix ns"),
        FieldSchema("last_error", "str"),
    ],
    description="The InfluxDB sink's state, every state interval.",
    source="influx sink (collectors/sinks/influx.py)",
)

EVENT_LOOP = MeasurementSchema.declare(
    "collector",
    tags=("component", "instance"),
    fields=[
        FieldSchema("lag_s", "float", description="how late the loop ran its last timer"),
        FieldSchema("max_lag_s", "float", description="the worst lag since the previous point"),
    ],
    description="The service's event loop: how late it runs timers (blocking work shows here).",
    source="event-loop watchdog (eams/components/loop_watch.py)",
)

MEASUREMENTS = (POLLER, SINK, EVENT_LOOP)
