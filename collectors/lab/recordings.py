"""snmpsim recordings of real devices, trimmed to the subtrees our profiles read.

The recordings come from the PyPI package `snmpsim-data` (mostly `.snmprec.bz2`). Indexing a full
recording takes minutes here (no gdbm, snmpsim falls back to dbm.dumb), so only the devices asked
for are decompressed, and only the lines under a profile's subtree are kept.
"""

from __future__ import annotations

import bz2
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

# community (path under the data folder, without extension) -> recording in snmpsim-data
RECORDINGS = {
    "cisco/c3560": "network/switch/cisco-c3560.snmprec.bz2",
    "juniper/mx960": "network/router/juniper-mx960-12-3r6-6.snmprec.bz2",
    "fortinet/fortigate": "network/firewall/fortinet-xcu.snmprec.bz2",
    "paloalto/pa5000": "network/firewall/paloalto-pa-5000.snmprec.bz2",
    "linux/slackware": "os/linux/slackware.snmprec.bz2",
    "huawei/s5720": "network/router/huawei-s5720.snmprec.bz2",
    "h3c/comware7": "network/switch/h3c-comware-7-1-075.snmprec.bz2",
    "apc/ap7902b": "UPS/apc-7902b.snmprec",
    "apc/ap8641": "UPS/apc-8641.snmprec",
    "eaton/93e": "UPS/eaton-93e-80.snmprec.bz2",
    "windows/server2003": "os/windows/server-2003-5-2.snmprec.bz2",
    "arista/dcs7150s": "cloud/arista-dcs-7150s-52-cl.snmprec.bz2",
    "hpe/procurve6120xg": "network/switch/hpe-procurve-516733-b21.snmprec.bz2",
    "ruijie/s5750": "network/switch/ruijie-s5750-24gt12sfp.snmprec.bz2",
    "netapp/fas3270": "storage/netapp-fas3270.snmprec.bz2",
    "sangfor/ad1800": "network/firewall/sangfor-ad1800-fp2.snmprec.bz2",
    "huawei/gse200m": "UPS/huawei-gse200m.snmprec.bz2",
    "cisco/n5000": "network/switch/cisco-n5000.snmprec.bz2",
    "zte/zxr10-5250": "network/switch/zte-zxr10-5250.snmprec.bz2",
}


def snmpsim_data_folder() -> Path:
    import snmpsim_data

    return Path(snmpsim_data.__file__).parent / "data"


def profile_subtrees() -> list[str]:
    """The subtrees any shipped profile reads, plus the system group."""
    from collectors.snmp.profile import ProfileSet

    profiles = ProfileSet.load()
    subtrees = {"1.3.6.1.2.1.1"}
    for profile in profiles.profiles.values():
        for metric in profile.metrics:
            if metric.table:
                subtrees.add(metric.table)
            oids = [spec.oid for spec in metric.fields] + [spec.oid for spec in metric.tags]
            for oid in oids:
                subtrees.add(oid.rsplit(".", 1)[0] if not metric.table else oid)
    return sorted(subtrees)


def trimmed_lines(source: Path, prefixes: tuple[str, ...]) -> list[str]:
    """The recording's lines under `prefixes`, each ending with a newline."""
    opener = bz2.open if source.suffix == ".bz2" else open
    kept: list[str] = []
    with opener(source, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.startswith(prefixes):
                kept.append(line if line.endswith("\n") else line + "\n")
    return kept


def prepare_recordings(
    data: Path,
    names: Iterable[str],
    *,
    recordings: Mapping[str, str] = RECORDINGS,
) -> Path:
    """Write the wanted recordings into the data folder `data` (kept between runs) and return it."""
    source = snmpsim_data_folder()
    prefixes = tuple(s + "." for s in profile_subtrees())
    # Trimmed files are kept between runs; a profile reading a new subtree makes them stale.
    digest = hashlib.sha256("\n".join(prefixes).encode()).hexdigest()
    stamp = data / "subtrees.sha256"
    if data.exists() and (not stamp.exists() or stamp.read_text() != digest):
        for old in data.rglob("*.snmprec"):
            old.unlink()
    data.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    for community in names:
        target = data / f"{community}.snmprec"
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp")
        partial.write_text("".join(trimmed_lines(source / recordings[community], prefixes)))
        partial.replace(target)
    return data
