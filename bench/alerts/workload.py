"""The benchmark's estate and rules: devices in the inventory, 1,000 rules scoped like a real
province's (a few global, most by role, site or a device list), and 20 series per device."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from collectors.samples import Sample
from eams.alerts.rules.spec import RuleSpec
from inventory.db import Database
from inventory.models import Agency, AgencyKind, Device, DeviceRole, Site, SiteKind

ROLES = [DeviceRole.switch, DeviceRole.router, DeviceRole.server, DeviceRole.firewall]
SERIES_PER_DEVICE = 20  # 16 interfaces, cpu, memory, two file systems
GIGABIT = 1000  # ifHighSpeed, Mbit/s


@dataclass
class Estate:
    device_ids: list[int]
    site_ids: list[int]


def build_estate(db: Database, devices: int, sites: int = 5) -> Estate:
    with db.session() as session:
        agency = Agency(name="Sở Khoa học và Công nghệ", kind=AgencyKind.department)
        site_rows = [Site(name=f"Phòng máy {i}", kind=SiteKind.server_room) for i in range(sites)]
        session.add(agency)
        session.add_all(site_rows)
        session.flush()
        rows = [
            Device(
                name=f"bench-{i:05d}",
                role=ROLES[i % len(ROLES)],
                site_id=site_rows[i % sites].id,
                owner_agency_id=agency.id,
            )
            for i in range(devices)
        ]
        session.add_all(rows)
        session.flush()
        return Estate([d.id for d in rows], [s.id for s in site_rows])


def make_rules(count: int, estate: Estate, rng: random.Random) -> list[RuleSpec]:
    templates: list[dict[str, Any]] = [
        {
            "measurement": "interface",
            "field": "ifHCInOctets",
            "source": "rate",
            "scale": 8,
            "percent_of": "ifHighSpeed",
            "percent_of_scale": 1_000_000,
            "entity": ["ifName"],
        },
        {"measurement": "interface", "field": "ifInErrors", "source": "rate", "entity": ["ifName"]},
        {"measurement": "cpu", "field": "utilisation"},
        {"measurement": "memory", "field": "used_percent"},
        {"measurement": "storage", "field": "used_percent", "entity": ["descr"]},
    ]
    specs = []
    for i in range(count):
        template = templates[i % len(templates)]
        value = float(rng.randint(85, 98))
        if template["field"] == "ifInErrors":
            value = float(rng.randint(50, 500))
        # Like a province's rule set: a few defaults for everything, overrides per role and site,
        # and most rules written for a handful of named devices.
        bucket = i % 50
        if bucket == 0:
            scope: dict[str, Any] = {}
        elif bucket <= 4:
            scope = {"roles": [ROLES[i % len(ROLES)].value]}
        elif bucket <= 9:
            scope = {"site_ids": [estate.site_ids[i % len(estate.site_ids)]]}
        else:
            scope = {"device_ids": rng.sample(estate.device_ids, 5)}
        specs.append(
            RuleSpec.model_validate(
                {
                    "name": f"bench-rule-{i:04d}",
                    "kind": "threshold",
                    **template,
                    "op": ">",
                    "value": value,
                    "clear": value - 10,
                    "scope": scope,
                    "severity": "warning",
                }
            )
        )
    return specs


def device_samples(device_id: int, hot: set[tuple[int, int]]) -> list[Sample]:
    """One poll of one device: 20 samples; series listed in `hot` are far over any threshold."""
    samples = []
    for port in range(16):
        octets = 117e6 if (device_id, port) in hot else 25e6  # 93.6 % or 20 % of a gigabit
        samples.append(
            Sample(
                "interface",
                {"ifName": f"Gi0/{port + 1}", "ifAlias": "uplink" if port == 0 else ""},
                {"ifHighSpeed": GIGABIT, "ifHCInOctets": 123_456_789, "ifInErrors": 12},
                device_id=device_id,
                counters=frozenset({"ifHCInOctets", "ifInErrors"}),
                rates={"ifHCInOctets": octets, "ifInErrors": 0.0},
            )
        )
    cpu = 93.0 if (device_id, 16) in hot else 35.0
    samples.append(Sample("cpu", {}, {"utilisation": cpu}, device_id=device_id))
    samples.append(
        Sample("memory", {}, {"used_percent": 93.0 if (device_id, 17) in hot else 60.0}, device_id=device_id)
    )
    for disk in (18, 19):
        used = 93.0 if (device_id, disk) in hot else 40.0
        samples.append(
            Sample("storage", {"descr": f"/data{disk - 18}"}, {"used_percent": used}, device_id=device_id)
        )
    return samples
