"""Linux server metrics over SSH, with no agent: one shell script, parsed into samples.

The script is the platform's `metrics:` sections run in one command, each introduced by a marker
line, so a poll costs one round trip. Measurements (fields in README.md):
  linux_cpu     usage_user, usage_system, usage_iowait, usage_steal, usage_idle
                (percent over 1 s, summing to 100), cpus
  linux_mem     total, available, used, used_percent, swap_total, swap_free
  linux_disk    (extra tags mount, disk) total, used, free, used_percent
  linux_system  load1, load5, load15, uptime_s
  linux_systemd failed_units (count), failed (names, comma separated); only where systemd runs
"""

from __future__ import annotations

from collections.abc import Mapping

from collectors.samples import FieldValue, Sample, now_ns

MARKER = "@@eams-section "


def metrics_script(sections: Mapping[str, str]) -> str:
    # printf builds the marker, so the echoed command line never contains it literally.
    head, tail = MARKER[:2], MARKER[2:].strip()
    parts = [
        f"printf '{head}%s %s\\n' {tail} {name}; {{ {command} ; }} 2>/dev/null"
        for name, command in sections.items()
    ]
    return "; ".join(parts)


def split_sections(output: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith(MARKER):
            current = sections.setdefault(line[len(MARKER) :].strip(), [])
        elif current is not None:
            current.append(line.rstrip())
    return sections


def _cpu(lines: list[str]) -> dict[str, FieldValue]:
    stats = [line.split() for line in lines if line.startswith("cpu ")]
    if len(stats) < 2:
        return {}
    before = [int(value) for value in stats[0][1:]]
    after = [int(value) for value in stats[1][1:]]
    delta = [b - a for a, b in zip(before, after, strict=False)]
    # /proc/stat: user nice system idle iowait irq softirq steal ...
    total = sum(delta[:8]) or 1
    fields: dict[str, FieldValue] = {
        "usage_user": round(100.0 * (delta[0] + delta[1]) / total, 2),
        "usage_system": round(100.0 * (delta[2] + delta[5] + delta[6]) / total, 2),
        "usage_idle": round(100.0 * delta[3] / total, 2),
        "usage_iowait": round(100.0 * delta[4] / total, 2),
        # Time the hypervisor gave to other guests: on a busy host it is several percent, and
        # without it the parts would not add up to the whole.
        "usage_steal": round(100.0 * delta[7] / total, 2) if len(delta) > 7 else 0.0,
    }
    counts = [line for line in lines if line.strip().isdigit()]
    if counts:
        fields["cpus"] = int(counts[-1])
    return fields


def _meminfo(lines: list[str]) -> dict[str, FieldValue]:
    values: dict[str, int] = {}
    for line in lines:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * (1024 if len(parts) > 1 and parts[1] == "kB" else 1)
    if "MemTotal" not in values:
        return {}
    total = values["MemTotal"]
    available = values.get("MemAvailable", values.get("MemFree", 0))
    return {
        "total": total,
        "available": available,
        "used": total - available,
        "used_percent": round(100.0 * (total - available) / total, 2) if total else 0.0,
        "swap_total": values.get("SwapTotal", 0),
        "swap_free": values.get("SwapFree", 0),
    }


def _system(load: list[str], uptime: list[str]) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    if load and len(load[0].split()) >= 3:
        one, five, fifteen = load[0].split()[:3]
        fields.update(load1=float(one), load5=float(five), load15=float(fifteen))
    if uptime and uptime[0].split():
        fields["uptime_s"] = int(float(uptime[0].split()[0]))
    return fields


def _disks(lines: list[str]) -> list[tuple[dict[str, str], dict[str, FieldValue]]]:
    disks = []
    for line in lines[1:]:  # header first
        parts = line.split()
        if len(parts) < 6 or not parts[1].isdigit():
            continue
        total, used, free = int(parts[1]), int(parts[2]), int(parts[3])
        mount = " ".join(parts[5:])
        percent = round(100.0 * used / (used + free), 2) if used + free else 0.0
        fields: dict[str, FieldValue] = {"total": total, "used": used, "free": free, "used_percent": percent}
        disks.append(({"mount": mount, "disk": parts[0]}, fields))
    return disks


def _systemd(lines: list[str]) -> dict[str, FieldValue] | None:
    if "#systemd=yes" not in lines:
        return None
    failed = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {"failed_units": len(failed), "failed": ",".join(failed)}


def linux_samples(output: str, tags: Mapping[str, str], device_id: int | None) -> list[Sample]:
    sections = split_sections(output)
    time_ns = now_ns()
    base = dict(tags)
    samples: list[Sample] = []

    def add(measurement: str, fields: Mapping[str, FieldValue] | None, extra: Mapping[str, str] = {}) -> None:
        if fields:
            samples.append(Sample(measurement, {**base, **extra}, dict(fields), time_ns, device_id))

    add("linux_cpu", _cpu(sections.get("stat", [])))
    add("linux_mem", _meminfo(sections.get("meminfo", [])))
    add("linux_system", _system(sections.get("loadavg", []), sections.get("uptime", [])))
    for disk_tags, fields in _disks(sections.get("df", [])):
        add("linux_disk", fields, disk_tags)
    add("linux_systemd", _systemd(sections.get("failed_units", [])))
    return samples
