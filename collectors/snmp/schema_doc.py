"""Prints the measurement schema (every measurement, tag and field, with an example line) from
the profiles, as the Markdown of collectors/README.md's "Measurements" section:

    python -m collectors.snmp.schema_doc > /tmp/schema.md
    python -m collectors.snmp.schema_doc --write    # replace the generated part of the README

tests/snmp/test_profiles.py checks that the README documents every profile field.
"""

from __future__ import annotations

import sys
from pathlib import Path

from collectors.snmp.profile import MetricSpec, ProfileSet

COMMON_TAGS = {"device": "sw-core-01", "role": "switch", "site": "DC-tinh", "agency": "So-TTTT"}
_EXAMPLE_VALUES = {"int": "42i", "float": "12.5", "str": '"text"', "bool": "true"}


def example_line(metric: MetricSpec) -> str:
    tags = dict(COMMON_TAGS)
    if metric.index_tag:
        tags[metric.index_tag] = "1"
    for tag in metric.tags:
        tags[tag.tag] = next(iter(tag.enum.values())) if tag.enum else "example"
    fields = []
    for spec in metric.fields:
        value = f'"{next(iter(spec.enum.values()))}"' if spec.enum else _EXAMPLE_VALUES[spec.type]
        fields.append(f"{spec.field}={value}")
    fields.extend(f"{derived.field}=12.5" for derived in metric.derived)
    tag_text = ",".join(f"{key}={value}" for key, value in sorted(tags.items()))
    return f"{metric.measurement},{tag_text} {','.join(fields)} 1767225600000000000"


# Generic MIBs first, then vendors: the order a reader meets them.
ORDER = [
    "mib2-system",
    "mib2-interfaces",
    "host-resources",
    "net-snmp-linux",
    "entity",
    "entity-sensor",
    "cisco",
    "juniper",
    "huawei",
    "h3c",
    "fortigate",
    "paloalto",
    "cisco-asa",
    "arista",
    "hpe-procurve",
    "ruijie",
    "checkpoint",
    "sophos",
    "sangfor",
    "f5-bigip",
    "windows",
    "vmware-esxi",
    "dell-idrac",
    "hpe-ilo",
    "netapp",
    "synology",
    "ups-mib",
    "apc",
]


def render(profiles: ProfileSet) -> str:
    out: list[str] = []
    done: set[str] = set()
    ordered = sorted(
        profiles.all_metrics(), key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else len(ORDER)
    )
    for _name, metric in ordered:
        if metric.measurement in done:
            continue
        done.add(metric.measurement)
        users = sorted(n for n, m in profiles.all_metrics() if m.measurement == metric.measurement)
        kind = (
            f"table `{metric.table}`, one point per row" if metric.is_table else "scalars, one point per poll"
        )
        out.append(f"### `{metric.measurement}`\n")
        out.append(f"{metric.description or ''} From profile(s) {', '.join(users)}; {kind}.\n".lstrip())
        out.append("| tag | from |\n|---|---|")
        out.append("| `device`, `role`, `site`, `agency` | the inventory |")
        if metric.index_tag:
            out.append(f"| `{metric.index_tag}` | the row index |")
        for tag in metric.tags:
            out.append(f"| `{tag.tag}` | {tag.mib_name} `{tag.oid}` (cached, re-walked every 15 min) |")
        out.append("\n| field | type | meaning (unit) | from | notes |\n|---|---|---|---|---|")
        for spec in metric.fields:
            notes = []
            if spec.counter:
                notes.append(f"Counter{spec.counter_bits} (raw; rate in Sample.rates)")
            if spec.scale is not None and spec.scale != 1.0:
                notes.append(f"x {spec.scale:g}")
            if spec.enum:
                notes.append(", ".join(f"{k}={v}" for k, v in spec.enum.items()))
            if spec.failed_values:
                notes.append(f"failure: {', '.join(spec.failed_values)}")
            if spec.fallback is not None:
                width = f" (Counter{spec.fallback.counter_bits})" if spec.fallback.counter_bits else ""
                notes.append(f"else {spec.fallback.mib_name} `{spec.fallback.oid}`{width}")
            if spec.missing_values:
                notes.append(f"not written when {', '.join(str(v) for v in spec.missing_values)}")
            if spec.description:
                notes.append(spec.description)
            out.append(
                f"| `{spec.field}` | {spec.type} | `{spec.meaning}` ({spec.unit}) "
                f"| {spec.mib_name} `{spec.oid}` | {'; '.join(notes)} |"
            )
        for derived in metric.derived:
            parts = [
                f"{name} {', '.join(derived_fields)}"
                for name, derived_fields in (
                    ("used", derived.used),
                    ("free", derived.free),
                    ("total", derived.total),
                )
                if derived_fields
            ]
            when = (
                "; only rows with "
                + ", ".join(f"{tag} in {', '.join(values)}" for tag, values in derived.when.items())
                if derived.when
                else ""
            )
            out.append(
                f"| `{derived.field}` | float | `{derived.meaning}` (percent) | computed: {'; '.join(parts)} "
                f"| {derived.description}{when} |"
            )
        out.append(f"\n```\n{example_line(metric)}\n```\n")
    return "\n".join(out)


README = Path(__file__).resolve().parents[1] / "README.md"
FIRST_GENERATED = "### `snmp_system`"  # everything from here to the end is generated


def write_readme(profiles: ProfileSet, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    start = text.index(FIRST_GENERATED)
    readme.write_text(text[:start] + render(profiles).rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write_readme(ProfileSet.load())
    else:
        print(render(ProfileSet.load()))
