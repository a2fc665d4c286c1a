"""Benchmark of the metrics sink: line-protocol encoding and the on-disk spool."""
