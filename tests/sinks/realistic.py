"""Samples shaped like what the SNMP poller produces, for several polls of a small estate.

Interface counters (64-bit, growing), CPU and memory gauges (floats that are sometimes whole
numbers, the classic cause of a field type conflict), status enums as integers, booleans, and
ifAlias/sysLocation strings in Vietnamese with spaces, commas, equals signs and quotes.
"""

from __future__ import annotations

import time

from collectors.samples import Sample

ALIASES = [
    "Uplink lên Sở Y tế, tầng 3",
    "Cổng dịch vụ công (DVC) = VLAN 20",
    'Kết nối "LGSP" tỉnh',
    "C:\\ Label:  Serial Number 5c1e1dd3",
    "Trục liên thông văn bản quốc gia",
    "",
]
# An hour ago, on a whole second: recent enough for VictoriaMetrics' default retention (1 month).
START_NS = (time.time_ns() // 1_000_000_000 - 3600) * 1_000_000_000
INTERVAL_NS = 20_000_000_000


def poll(number: int, devices: int = 3, interfaces: int = 4) -> list[Sample]:
    """Every sample of poll `number` (0, 1, 2 ...) for `devices` devices."""
    time_ns = START_NS + number * INTERVAL_NS
    samples: list[Sample] = []
    for d in range(devices):
        device = {
            "device": f"sw-core-{d:02d}",
            "site": "Trung tâm dữ liệu tỉnh",
            "agency": "Sở KH&CN",
            "role": "switch",
        }
        for i in range(interfaces):
            samples.append(
                Sample(
                    "interface",
                    {**device, "ifName": f"GigabitEthernet1/0/{i + 1}", "ifAlias": ALIASES[i % len(ALIASES)]},
                    {
                        "ifHCInOctets": 10_000_000 * (d + 1) + number * 1_250_000 * (i + 1),
                        "ifHCOutOctets": 5_000_000 * (d + 1) + number * 625_000 * (i + 1),
                        "ifInErrors": number // 2,
                        "ifOperStatus": 1 if (i + number) % 5 else 2,
                        "ifHighSpeed": 1000,
                        "ifAlias": ALIASES[(i + number) % len(ALIASES)],
                    },
                    time_ns=time_ns,
                    device_id=d + 1,
                    counters=frozenset({"ifHCInOctets", "ifHCOutOctets", "ifInErrors"}),
                )
            )
        # Whole-number floats on even polls: must stay floats.
        usage = float(10 + number) if number % 2 == 0 else 10.5 + number
        samples.append(
            Sample("cpu", {**device, "cpu": "0"}, {"usage": usage, "load5": 0.25 * number}, time_ns=time_ns)
        )
        samples.append(
            Sample(
                "memory",
                {**device, "pool": "Processor"},
                {"used": 1_000_000 + number * 1024, "free": 7_000_000 - number * 1024, "utilisation": 12.0},
                time_ns=time_ns,
            )
        )
        samples.append(
            Sample(
                "system",
                device,
                {
                    "sysLocation": 'Phòng máy, tầng=2, "tủ" A3',
                    "uptime": 360_000 + number * 2000,
                    "reachable": number % 3 != 2,
                },
                time_ns=time_ns,
            )
        )
    return samples


def polls(count: int, devices: int = 3, interfaces: int = 4) -> list[list[Sample]]:
    return [poll(n, devices, interfaces) for n in range(count)]
