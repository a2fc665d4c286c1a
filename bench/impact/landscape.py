"""A synthetic provincial landscape written straight into the database (bulk inserts, no ORM objects).

Tiers, each depending on the one above: 2 core switches (a redundancy pair) <- distribution switches
(in pairs) <- access switches <- hypervisor clusters of 8 (min_up 6, half of each cluster behind one
access switch) and other devices. Every system is hosted on one cluster; one system in ten is a
platform (like LGSP) that the others of its block need; systems serve agencies and public services
and have two using agencies each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from inventory.models import (
    Agency,
    Dependency,
    Device,
    InformationSystem,
    PublicService,
    RedundancyGroup,
)
from inventory.models.systems import system_user_table

CLUSTER_SIZE = 8
CLUSTER_MIN_UP = 6
CHUNK = 5000


@dataclass
class Landscape:
    devices: int
    systems: int
    agencies: int = 200
    public_services: int = 2000
    seed: int = 20260701
    # Filled by `write`: ids of each tier, for choosing queries.
    tiers: dict[str, list[int]] = field(default_factory=dict)
    edges: int = 0

    def write(self, engine: Engine) -> None:
        rng = random.Random(self.seed)
        with engine.begin() as connection:

            def bulk(table: Any, rows: list[dict[str, Any]]) -> None:
                for start in range(0, len(rows), CHUNK):
                    connection.execute(insert(table), rows[start : start + CHUNK])

            bulk(
                Agency.__table__,
                [
                    {"id": i, "name": f"Cơ quan {i}", "kind": "department"}
                    for i in range(1, self.agencies + 1)
                ],
            )
            n_core = 2
            n_dist = max(2, self.devices // 1000 // 2 * 2)
            n_access = max(2, self.devices // 50)
            n_clusters = max(1, self.systems // 4)
            n_hosts = n_clusters * CLUSTER_SIZE
            n_other = self.devices - n_core - n_dist - n_access - n_hosts
            if n_other < 0:
                raise ValueError("too few devices for the tiers; raise devices or lower systems")
            names = (
                ["core"] * n_core
                + ["dist"] * n_dist
                + ["access"] * n_access
                + ["host"] * n_hosts
                + ["other"] * n_other
            )
            roles = {
                "core": "switch",
                "dist": "switch",
                "access": "switch",
                "host": "hypervisor",
                "other": "server",
            }
            bulk(
                Device.__table__,
                [
                    {
                        "id": i,
                        "name": f"{tier}-{i:06d}",
                        "role": roles[tier],
                        "status": "active",
                        "search_text": f"{tier}-{i:06d}",
                    }
                    for i, tier in enumerate(names, start=1)
                ],
            )
            ids: dict[str, list[int]] = {}
            for i, tier in enumerate(names, start=1):
                ids.setdefault(tier, []).append(i)
            self.tiers = ids

            groups: list[dict[str, Any]] = [{"id": 1, "name": "core pair", "min_up": 1}]
            dist_pairs = n_dist // 2
            groups += [{"id": 2 + k, "name": f"dist pair {k}", "min_up": 1} for k in range(dist_pairs)]
            cluster_group0 = 2 + dist_pairs
            groups += [
                {"id": cluster_group0 + c, "name": f"cluster {c}", "min_up": CLUSTER_MIN_UP}
                for c in range(n_clusters)
            ]
            bulk(RedundancyGroup.__table__, groups)

            edges: list[dict[str, Any]] = []

            def edge(st: str, s: int, kind: str, tt: str, t: int, group: int | None = None) -> None:
                edges.append(
                    {"source_type": st, "source_id": s, "kind": kind, "target_type": tt, "target_id": t,
                     "redundancy_group_id": group, "state": "confirmed", "origin": "bench"}
                )  # fmt: skip

            for dist in ids["dist"]:
                for core in ids["core"]:
                    edge("device", dist, "depends_on", "device", core, 1)
            for index, access in enumerate(ids["access"]):
                pair = index % dist_pairs
                for dist in ids["dist"][2 * pair : 2 * pair + 2]:
                    edge("device", access, "depends_on", "device", dist, 2 + pair)
            # Half a cluster per access switch: losing one switch takes 4 of 8 hosts, below min_up.
            for index, host in enumerate(ids["host"]):
                edge("device", host, "depends_on", "device", ids["access"][(index // 4) % n_access])
            for other in ids.get("other", []):
                edge("device", other, "depends_on", "device", ids["access"][rng.randrange(n_access)])

            bulk(
                InformationSystem.__table__,
                [
                    {"id": s, "name": f"Hệ thống {s}", "category": "sector_application", "scope": "sector",
                     "lifecycle": "active", "reference_codes": [], "search_text": f"he thong {s}"}
                    for s in range(1, self.systems + 1)
                ],
            )  # fmt: skip
            bulk(
                PublicService.__table__,
                [{"id": p, "name": f"Thủ tục {p}"} for p in range(1, self.public_services + 1)],
            )
            users: list[dict[str, Any]] = []
            for s in range(1, self.systems + 1):
                cluster = (s - 1) % n_clusters
                for host in ids["host"][cluster * CLUSTER_SIZE : (cluster + 1) * CLUSTER_SIZE]:
                    edge("information_system", s, "hosted_on", "device", host, cluster_group0 + cluster)
                platform = (s - 1) // 10 * 10 + 1  # the first system of each block of ten
                if s != platform:
                    edge("information_system", s, "depends_on", "information_system", platform)
                edge("information_system", s, "serves", "public_service", (s - 1) % self.public_services + 1)
                edge("information_system", s, "serves", "agency", rng.randrange(1, self.agencies + 1))
                for agency in rng.sample(range(1, self.agencies + 1), 2):
                    users.append({"system_id": s, "agency_id": agency})
            bulk(system_user_table, users)
            for number, row in enumerate(edges, start=1):
                row["id"] = number
            bulk(Dependency.__table__, edges)
            self.edges = len(edges)
            self.tiers["system"] = list(range(1, self.systems + 1))
