"""Which example-province devices the demo lab stands in for, and how their recordings change.

The recordings are real devices' (snmpsim-data); the demo adds what a recording cannot have:
traffic counters that grow (snmpsim's `numeric` variation module) and one fault, a CPU load that
climbs past the demo rule's threshold (`rules.yaml`) about 12 s after the lab starts.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

# ifInOctets, ifOutOctets (Counter32) and ifHCInOctets, ifHCOutOctets (Counter64)
OCTET_COLUMNS = (
    "1.3.6.1.2.1.2.2.1.10.",
    "1.3.6.1.2.1.2.2.1.16.",
    "1.3.6.1.2.1.31.1.1.1.6.",
    "1.3.6.1.2.1.31.1.1.1.10.",
)
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2."
# The fault: every processor's load starts at 20 % and climbs 5 points a second up to 97 %.
CPU_RAMP = "initial=20,rate=5,max=97"


@dataclass(frozen=True)
class LabDevice:
    device: str  # an example-province device name
    recording: str  # community in collectors.lab.recordings.RECORDINGS
    fault: bool = False

    @property
    def community(self) -> str:
        """The demo's own copy of the recording (with variations) is served under this name."""
        return f"demo/{self.device}"


LAB_DEVICES = (
    LabDevice("dc-core-sw-01", "cisco/c3560"),
    LabDevice("dc-fw-01", "fortinet/fortigate"),
    LabDevice("dc-fw-dmz-01", "paloalto/pa5000"),
    LabDevice("dc-srv-mail-01", "linux/slackware", fault=True),
    LabDevice("dc-ups-01", "apc/ap7902b"),
)
# Polled through the local host's own snmpd when the `snmpd` program is installed.
SNMPD_DEVICE = "dc-srv-db-01"


def octets_per_second(oid: str) -> int:
    """A steady, different traffic rate per interface: 10 kB/s to ~1.3 MB/s."""
    return 10_000 + zlib.crc32(oid.encode()) % 1_250_000


def vary(line: str, fault: bool) -> str:
    """One recording line, with growing counters and (on the faulty device) a climbing CPU."""
    oid, _, rest = line.rstrip("\n").partition("|")
    tag, _, value = rest.partition("|")
    if tag in ("65", "70") and oid.startswith(OCTET_COLUMNS) and value.isdigit():
        return f"{oid}|{tag}:numeric|initial={value},rate={octets_per_second(oid)},wrap=1\n"
    if fault and tag == "2" and oid.startswith(HR_PROCESSOR_LOAD):
        return f"{oid}|2:numeric|{CPU_RAMP}\n"
    return line if line.endswith("\n") else line + "\n"


def write_demo_recording(data: Path, device: LabDevice) -> None:
    """Copy the trimmed recording to `data/demo/<device>.snmprec`, with the demo's variations."""
    source = data / f"{device.recording}.snmprec"
    target = data / f"{device.community}.snmprec"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(vary(line, device.fault) for line in source.read_text().splitlines(keepends=True))
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
