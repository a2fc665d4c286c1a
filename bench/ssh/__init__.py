"""Benchmark of the SSH configuration backup (see __main__.py)."""
