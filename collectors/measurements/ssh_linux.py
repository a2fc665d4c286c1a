"""Linux server metrics read over SSH with no agent (collectors/ssh/linux.py).

Every point carries the inventory tags the SSH targets add (device, role, site, agency).
"""

from __future__ import annotations

from collectors.schema import INVENTORY_TAGS, FieldSchema, MeasurementSchema

_SOURCE = "ssh collector (collectors/ssh/linux.py)"


def _measurement(
    name: str, description: str, fields: list[FieldSchema], extra_tags: tuple[str, ...] = ()
) -> MeasurementSchema:
    return MeasurementSchema.declare(
        name,
        tags=(*INVENTORY_TAGS, *extra_tags),
        fields=fields,
        description=description,
        source=_SOURCE,
        entity_tags=extra_tags[:1],
    )


MEASUREMENTS = (
    _measurement(
        "linux_cpu",
        "CPU use in percent over one second, and the number of CPUs.",
        [
            FieldSchema("usage_user", "float"),
            FieldSchema("usage_system", "float"),
            FieldSchema("usage_iowait", "float"),
            FieldSchema("usage_steal", "float"),
            FieldSchema("usage_idle", "float", meaning="cpu_idle_percent", unit="%"),
            FieldSchema("cpus", "int"),
        ],
    ),
    _measurement(
        "linux_mem",
        "Memory and swap in bytes (/proc/meminfo).",
        [
            FieldSchema("total", "int"),
            FieldSchema("available", "int"),
            FieldSchema("used", "int"),
            FieldSchema("used_percent", "float", meaning="memory_used_percent", unit="%"),
            FieldSchema("swap_total", "int"),
            FieldSchema("swap_free", "int"),
        ],
    ),
    _measurement(
        "linux_disk",
        "One point per mounted file system, in bytes (df).",
        [
            FieldSchema("total", "int"),
            FieldSchema("used", "int"),
            FieldSchema("free", "int"),
            FieldSchema("used_percent", "float", meaning="disk_used_percent", unit="%"),
        ],
        ("mount", "disk"),
    ),
    _measurement(
        "linux_system",
        "Load averages and uptime.",
        [
            FieldSchema("load1", "float"),
            FieldSchema("load5", "float"),
            FieldSchema("load15", "float"),
            FieldSchema("uptime_s", "int"),
        ],
    ),
    _measurement(
        "linux_systemd",
        "Failed systemd units, where systemd runs.",
        [FieldSchema("failed_units", "int"), FieldSchema("failed", "str")],
    ),
)
