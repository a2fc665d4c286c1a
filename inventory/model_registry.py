"""Every module that declares tables on `Base`: migrations and schema checks need them all loaded."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "inventory.models",  # imports the architecture modules too (framework, systems, security ...)
    "collectors.traps.models",
    "collectors.ssh.models",
    "eams.alerts.models",
    "collectors.remote.models",
    "collectors.discovery.models",
    "collectors.syslog.models",
    "eams.auth.models",
    "eams.auth.audit.models",
    "eams.web.models",
)


def import_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
