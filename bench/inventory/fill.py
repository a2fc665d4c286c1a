"""Fill an empty, migrated inventory fast: Core bulk inserts, not the API (that is what we measure).

A province's worth, scaled: one province, departments and communes as agencies, a server room per
agency, racks, device types from the usual vendors, and devices spread over all of it with
Vietnamese descriptions (so that `q` has diacritics to fold).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert

from inventory.models import Agency, Device, DeviceType, Manufacturer, Platform, Rack, Site
from inventory.models.enums import DeviceRole, LifecycleStatus
from inventory.search import fold_all

DEPARTMENTS = (
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Công Thương",
    "Sở Nông nghiệp và Môi trường",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Văn phòng UBND tỉnh",
    "Ban Quản lý các khu công nghiệp",
    "Thanh tra tỉnh",
    "Sở Dân tộc và Tôn giáo",
)
PLACE_A = (
    "Bảo",
    "Văn",
    "Mường",
    "Bắc",
    "Sa",
    "Yên",
    "Lục",
    "Trấn",
    "Nghĩa",
    "Tân",
    "Phúc",
    "Đông",
    "Hòa",
    "Quang",
    "Thượng",
    "Lâm",
    "Cam",
    "Phong",
    "Xuân",
    "Minh",
    "Hưng",
    "An",
    "Gia",
    "Thanh",
    "Long",
)
PLACE_B = (
    "Thắng",
    "Bàn",
    "Khương",
    "Hà",
    "Pa",
    "Bình",
    "Yên",
    "Yên Bình",
    "Lộ",
    "Lập",
    "Khánh",
    "Sơn",
    "Phú",
    "Đường",
    "Thịnh",
    "Hợp",
    "Lương",
    "Hải",
    "Tiến",
    "Cường",
    "Hội",
    "Châu",
    "Linh",
    "Trung",
    "Đức",
    "Tâm",
    "Quý",
    "Thái",
    "Lợi",
    "Mỹ",
    "Định",
    "Vinh",
    "Hoà",
    "Thủy",
    "Nam",
    "Tường",
    "Kiên",
    "Luận",
    "Phát",
    "Ninh",
)
VENDORS = {
    "Cisco": ("C9300-48P", "C9500-24Y4C", "ISR4451", "ASR1001-X", "Nexus 93180YC"),
    "Juniper": ("EX4300-48T", "MX204", "SRX1500"),
    "Huawei": ("S5735-L48T4X", "CE6881-48S6CQ", "USG6650E"),
    "Fortinet": ("FortiGate 600E", "FortiGate 1800F", "FortiWeb 1000F"),
    "Palo Alto Networks": ("PA-3220", "PA-5250"),
    "Dell": ("PowerEdge R750", "PowerEdge R650", "PowerVault ME5024"),
    "HPE": ("ProLiant DL380 Gen10", "ProLiant DL360 Gen11"),
    "APC": ("Smart-UPS SRT 10kVA", "Symmetra PX 40kW"),
}
PLATFORMS = (
    "Cisco IOS-XE",
    "Cisco NX-OS",
    "Junos",
    "Huawei VRP",
    "FortiOS",
    "PAN-OS",
    "Ubuntu",
    "VMware ESXi",
)
ROLE_WORDS = {
    DeviceRole.server: "Máy chủ ứng dụng",
    DeviceRole.switch: "Chuyển mạch truy cập",
    DeviceRole.router: "Bộ định tuyến",
    DeviceRole.firewall: "Tường lửa",
    DeviceRole.storage: "Thiết bị lưu trữ",
    DeviceRole.ups: "Bộ lưu điện",
    DeviceRole.hypervisor: "Máy chủ ảo hóa",
    DeviceRole.load_balancer: "Cân bằng tải",
}
STATUS_WEIGHTS = {
    LifecycleStatus.active: 70,
    LifecycleStatus.spare: 8,
    LifecycleStatus.maintenance: 5,
    LifecycleStatus.planned: 5,
    LifecycleStatus.retired: 12,
}


@dataclass(frozen=True)
class Filled:
    agencies: list[tuple[int, str]]  # (id, name)
    sites: int
    racks: int
    device_types: int
    devices: int


def commune_names(count: int) -> Iterator[str]:
    produced = 0
    for a in PLACE_A:
        for b in PLACE_B:
            yield f"Xã {a} {b}"
            produced += 1
            if produced == count:
                return
    number = 1
    while produced < count:
        yield f"Phường {number}"
        produced += 1
        number += 1


def fill(engine: Engine, *, devices: int, agencies: int, seed: int = 7, batch: int = 5000) -> Filled:
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    stamps = {"created_at": now, "updated_at": now, "tags": [], "custom_fields": {}}

    def searchable(model: Any, row: dict[str, Any]) -> dict[str, Any]:
        row["search_text"] = fold_all(row.get(column) for column in model.search_columns)[:2000]
        return {**stamps, **row}

    agency_rows = [searchable(Agency, {"id": 1, "name": "Tỉnh Lào Cai", "code": "LC", "kind": "province"})]
    department_count = min(len(DEPARTMENTS), max(0, agencies - 1))
    for index, name in enumerate(DEPARTMENTS[:department_count], start=2):
        agency_rows.append(
            searchable(
                Agency,
                {"id": index, "name": name, "code": f"LC.S{index:02d}", "kind": "department", "parent_id": 1},
            )
        )
    for index, name in enumerate(commune_names(agencies - 1 - department_count), start=department_count + 2):
        agency_rows.append(
            searchable(
                Agency,
                {"id": index, "name": name, "code": f"LC.X{index:04d}", "kind": "commune", "parent_id": 1},
            )
        )
    site_rows = [
        searchable(
            Site,
            {
                "id": a["id"],
                "name": f"Phòng máy chủ {a['name']} ({a['code']})",
                "code": a["code"],
                "kind": "data_center" if a["id"] == 1 else "server_room",
                "agency_id": a["id"],
            },
        )
        for a in agency_rows
    ]
    rack_rows = []
    for site in site_rows:
        for number in range(1, 3):
            rack_rows.append(
                searchable(
                    Rack,
                    {
                        "id": len(rack_rows) + 1,
                        "site_id": site["id"],
                        "name": f"R{number:02d}",
                        "u_height": 42,
                    },
                )
            )
    maker_rows, type_rows = [], []
    for maker_id, (maker, models) in enumerate(VENDORS.items(), start=1):
        maker_rows.append(searchable(Manufacturer, {"id": maker_id, "name": maker}))
        for model in models:
            type_rows.append(
                searchable(
                    DeviceType,
                    {"id": len(type_rows) + 1, "manufacturer_id": maker_id, "model": model, "u_height": 1},
                )
            )
    platform_rows = [
        searchable(Platform, {"id": i, "name": name}) for i, name in enumerate(PLATFORMS, start=1)
    ]

    roles = list(ROLE_WORDS)
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    with engine.begin() as connection:
        for model, rows in (
            (Agency, agency_rows),
            (Site, site_rows),
            (Rack, rack_rows),
            (Manufacturer, maker_rows),
            (DeviceType, type_rows),
            (Platform, platform_rows),
        ):
            connection.execute(insert(model.__table__), rows)
        chunk: list[dict[str, Any]] = []
        for number in range(1, devices + 1):
            agency = agency_rows[rng.randrange(len(agency_rows))]
            role = roles[rng.randrange(len(roles))]
            warranty = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))
            row = {
                "id": number,
                "name": f"{role.value[:3]}-{agency['code'].lower()}-{number:06d}",
                "role": role.value,
                "device_type_id": rng.randrange(1, len(type_rows) + 1),
                "platform_id": rng.randrange(1, len(platform_rows) + 1),
                "serial": f"SN{rng.randrange(16**10):010X}",
                "management_ip": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}",
                "site_id": agency["id"],
                "rack_id": (agency["id"] - 1) * 2 + rng.randrange(1, 3),
                "position": rng.randrange(1, 41),
                "owner_agency_id": agency["id"],
                "operating_agency_id": 1 if rng.random() < 0.3 else agency["id"],
                "status": rng.choices(statuses, weights)[0].value,
                "purchase_date": warranty - dt.timedelta(days=3 * 365),
                "purchase_cost_vnd": rng.randrange(50, 5000) * 1_000_000,
                "warranty_end": warranty,
                "description": f"{ROLE_WORDS[role]} {agency['name']}",
            }
            chunk.append(searchable(Device, row))
            if len(chunk) == batch:
                connection.execute(insert(Device.__table__), chunk)
                chunk = []
        if chunk:
            connection.execute(insert(Device.__table__), chunk)
        if connection.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; the API must be able to insert afterwards.
            for table in ("agency", "site", "rack", "manufacturer", "device_type", "platform", "device"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
    return Filled(
        agencies=[(a["id"], a["name"]) for a in agency_rows],
        sites=len(site_rows),
        racks=len(rack_rows),
        device_types=len(type_rows),
        devices=devices,
    )
