"""Benchmarks: each prints its figures; run with ./dev bench NAME."""
