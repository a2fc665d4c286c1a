"""Benchmark of the alert engine: 10,000 active series per second against 1,000 rules."""
