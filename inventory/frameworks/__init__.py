"""Data: national framework versions (YAML or CSV), loaded by `inventory.framework_loader`."""
