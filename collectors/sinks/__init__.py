"""Where samples go: line protocol, the on-disk spool and the InfluxDB sink (see README.md)."""

from collectors.sinks.influx import InfluxTarget, InfluxWriter, SinkState, SpoolingInfluxSink
from collectors.sinks.lineprotocol import LineEncoder, encode_samples
from collectors.sinks.spool import Spool

__all__ = [
    "InfluxTarget",
    "InfluxWriter",
    "LineEncoder",
    "SinkState",
    "Spool",
    "SpoolingInfluxSink",
    "encode_samples",
]
