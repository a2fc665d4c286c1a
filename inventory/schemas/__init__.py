"""Typed models at the inventory's boundary (API bodies, CSV rows)."""
