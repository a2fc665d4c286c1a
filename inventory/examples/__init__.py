"""Example data sets; `eams seed example` loads `province/`."""
