"""Load the example province (`province/*.yaml`) into an empty inventory.

Every record goes through the same pydantic schemas as the API, and references are written by key
(agency code, device name, system key ...) so that the files read like the province's own lists.
Loading refuses when the province is already there, so it can never half-apply twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.framework_loader import FRAMEWORK_DIR, load_framework
from inventory.models import (
    Agency,
    Contract,
    DataObject,
    Dependency,
    Deployment,
    Device,
    DeviceType,
    FrameworkVersion,
    InformationSystem,
    Integration,
    Manufacturer,
    Platform,
    PublicService,
    Rack,
    RedundancyGroup,
    RoadmapPhase,
    RoadmapPlan,
    RoadmapTask,
    RoadmapTaskEffect,
    SecurityLevelRecord,
    Site,
)
from inventory.models.base import Base
from inventory.schemas import architecture as arch
from inventory.schemas import devices as dev
from inventory.schemas import facilities as fac
from inventory.schemas import organization as org

PROVINCE_DIR = Path(__file__).parent / "province"
FRAMEWORK_FILES = ("vn-digital-government-v4.0.yaml",)


class SeedError(ValueError):
    """The example cannot be loaded; the message says why."""


class AlreadySeeded(SeedError):
    pass


class _Loader:
    def __init__(self, session: Session, folder: Path) -> None:
        self.session = session
        self.folder = folder
        self.counts: Counter[str] = Counter()
        self.agencies: dict[str, Agency] = {}
        self.sites: dict[str, Site] = {}
        self.racks: dict[tuple[str, str], Rack] = {}
        self.manufacturers: dict[str, Manufacturer] = {}
        self.platforms: dict[str, Platform] = {}
        self.device_types: dict[str, DeviceType] = {}
        self.devices: dict[str, Device] = {}
        self.systems: dict[str, InformationSystem] = {}
        self.services: dict[str, PublicService] = {}
        self.data: dict[str, DataObject] = {}
        self.integrations: dict[str, Integration] = {}
        self.groups: dict[str, RedundancyGroup] = {}
        self.frameworks: dict[str, FrameworkVersion] = {}

    # -- helpers ---------------------------------------------------------------------------------

    def read(self, name: str) -> dict[str, Any]:
        path = self.folder / name
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SeedError(f"{path}: {exc}") from None

    def add(self, model: type[Base], schema: type[BaseModel], values: dict[str, Any], where: str) -> Any:
        extra = {key.removesuffix("__rel"): values.pop(key) for key in list(values) if key.endswith("__rel")}
        try:
            clean = schema.model_validate(values).model_dump()
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(part) for part in problem["loc"])
            raise SeedError(f"{where}: {field}: {problem['msg']}") from None
        for key in [k for k in clean if k.endswith("_ids")]:
            clean.pop(key)  # many-to-many ids: the loader passes the objects themselves (`__rel`)
        obj = model(**clean, **extra)
        self.session.add(obj)
        self.counts[model.__tablename__] += 1
        return obj

    def ref(self, table: dict[Any, Any], key: Any, what: str, where: str) -> Any:
        if key is None:
            return None
        found = table.get(key)
        if found is None:
            raise SeedError(f"{where}: unknown {what} {key!r}")
        return found

    def ids(self, table: dict[str, Any], key: Any, what: str, where: str) -> int | None:
        found = self.ref(table, key, what, where)
        return None if found is None else found.id

    def flush(self) -> None:
        self.session.flush()

    # -- sections --------------------------------------------------------------------------------

    def organization(self) -> None:
        doc = self.read("organization.yaml")
        for item in doc["agencies"]:
            where = f"agency {item.get('code')}"
            values = {k: v for k, v in item.items() if k not in ("parent", "successor")}
            values["parent_id"] = self.ids(self.agencies, item.get("parent"), "agency", where)
            self.agencies[item["code"]] = self.add(Agency, org.AgencyCreate, values, where)
            self.flush()
        for item in doc["agencies"]:
            if "successor" in item:
                where = f"agency {item['code']}"
                self.agencies[item["code"]].successor_id = self.ids(
                    self.agencies, item["successor"], "agency", where
                )
        for item in doc["sites"]:
            where = f"site {item.get('code')}"
            values = {k: v for k, v in item.items() if k != "agency"}
            values["agency_id"] = self.ids(self.agencies, item.get("agency"), "agency", where)
            self.sites[item["code"]] = self.add(Site, fac.SiteCreate, values, where)
        self.flush()
        for item in doc["racks"]:
            where = f"rack {item.get('name')}"
            values = {k: v for k, v in item.items() if k != "site"}
            values["site_id"] = self.ids(self.sites, item.get("site"), "site", where)
            self.racks[(item["site"], item["name"])] = self.add(Rack, fac.RackCreate, values, where)
        self.flush()

    def equipment(self) -> None:
        doc = self.read("devices.yaml")
        for name in doc["manufacturers"]:
            self.manufacturers[name] = self.add(Manufacturer, dev.ManufacturerCreate, {"name": name}, name)
        self.flush()
        for item in doc["platforms"]:
            where = f"platform {item.get('name')}"
            values = {k: v for k, v in item.items() if k != "manufacturer"}
            values["manufacturer_id"] = self.ids(
                self.manufacturers, item.get("manufacturer"), "manufacturer", where
            )
            self.platforms[item["name"]] = self.add(Platform, dev.PlatformCreate, values, where)
        for item in doc["device_types"]:
            where = f"device type {item.get('model')}"
            values = {k: v for k, v in item.items() if k != "manufacturer"}
            values["manufacturer_id"] = self.ids(
                self.manufacturers, item.get("manufacturer"), "manufacturer", where
            )
            self.device_types[item["model"]] = self.add(DeviceType, dev.DeviceTypeCreate, values, where)
        self.flush()
        defaults = doc.get("defaults", {})
        for item in doc["devices"]:
            where = f"device {item.get('name')}"
            merged = {**defaults, **item}
            values = {
                "name": merged["name"],
                "role": merged["role"],
                "status": merged.get("status", "active"),
                "serial": merged.get("serial"),
                "management_ip": merged.get("ip"),
                "position": merged.get("position"),
                "warranty_end": merged.get("warranty_end"),
                "description": merged.get("description"),
                "device_type_id": self.ids(self.device_types, merged.get("type"), "device type", where),
                "platform_id": self.ids(self.platforms, merged.get("platform"), "platform", where),
                "site_id": self.ids(self.sites, merged.get("site"), "site", where),
                "owner_agency_id": self.ids(self.agencies, merged.get("owner"), "agency", where),
                "operating_agency_id": self.ids(self.agencies, merged.get("operator"), "agency", where),
            }
            if merged.get("rack"):
                values["rack_id"] = self.ref(self.racks, (merged["site"], merged["rack"]), "rack", where).id
            self.devices[item["name"]] = self.add(Device, dev.DeviceCreate, values, where)
        self.flush()

    def frameworks_(self) -> None:
        for name in FRAMEWORK_FILES:
            version = load_framework(self.session, FRAMEWORK_DIR / name)
            self.frameworks[version.code] = version
            self.counts["framework_version"] += 1

    def architecture(self) -> None:
        doc = self.read("systems.yaml")
        framework_id = self.ids(self.frameworks, doc.get("framework"), "framework version", "systems.yaml")
        fields = {"owner": "owner_agency_id", "operator": "operating_agency_id"}
        for item in doc["systems"]:
            where = f"system {item.get('key')}"
            values = {k: v for k, v in item.items() if k not in ("key", "parent", "users", *fields)}
            values["code"] = item["key"]
            values["framework_id"] = framework_id
            for key, column in fields.items():
                values[column] = self.ids(self.agencies, item.get(key), "agency", where)
            values["parent_id"] = self.ids(self.systems, item.get("parent"), "system", where)
            values["using_agencies__rel"] = [
                self.ref(self.agencies, a, "agency", where) for a in item.get("users", [])
            ]
            self.systems[item["key"]] = self.add(
                InformationSystem, arch.InformationSystemCreate, values, where
            )
            self.flush()
        for item in doc["public_services"]:
            where = f"public service {item.get('code')}"
            values = {k: v for k, v in item.items() if k != "agency"}
            values["agency_id"] = self.ids(self.agencies, item.get("agency"), "agency", where)
            self.services[item["code"]] = self.add(PublicService, arch.PublicServiceCreate, values, where)
        for index, item in enumerate(doc["deployments"], start=1):
            where = f"deployment {index}"
            values = {k: v for k, v in item.items() if k not in ("system", "device")}
            values["system_id"] = self.ids(self.systems, item.get("system"), "system", where)
            values["device_id"] = self.ids(self.devices, item.get("device"), "device", where)
            self.add(Deployment, arch.DeploymentCreate, values, where)
        for item in doc["data_objects"]:
            where = f"data object {item.get('code')}"
            values = {k: v for k, v in item.items() if k not in ("steward", "system")}
            values["steward_agency_id"] = self.ids(self.agencies, item.get("steward"), "agency", where)
            values["system_id"] = self.ids(self.systems, item.get("system"), "system", where)
            self.data[item["code"]] = self.add(DataObject, arch.DataObjectCreate, values, where)
        self.flush()
        for item in doc["integrations"]:
            where = f"integration {item.get('name')}"
            values = {
                "name": item["name"],
                "channel": item["channel"],
                "source_system_id": self.ids(self.systems, item.get("source"), "system", where),
                "target_system_id": self.ids(self.systems, item.get("target"), "system", where),
                "external_party": item.get("external"),
                "data_objects__rel": [
                    self.ref(self.data, d, "data object", where) for d in item.get("data", [])
                ],
            }
            self.integrations[item["name"]] = self.add(Integration, arch.IntegrationCreate, values, where)
        self.flush()

    def node(self, text: str, where: str) -> tuple[str, int]:
        node_type, _, key = text.partition(":")
        tables: dict[str, dict[str, Any]] = {
            "device": self.devices,
            "information_system": self.systems,
            "agency": self.agencies,
            "public_service": self.services,
            "data_object": self.data,
            "integration": self.integrations,
        }
        if node_type not in tables:
            raise SeedError(f"{where}: {text!r} must be type:key with type one of {', '.join(tables)}")
        return node_type, self.ref(tables[node_type], key, node_type.replace("_", " "), where).id

    def dependencies(self) -> None:
        doc = self.read("dependencies.yaml")
        for item in doc["redundancy_groups"]:
            self.groups[item["name"]] = self.add(
                RedundancyGroup, arch.RedundancyGroupCreate, dict(item), item["name"]
            )
        self.flush()
        for index, item in enumerate(doc["dependencies"], start=1):
            where = f"dependency {index} ({item.get('source')})"
            source_type, source_id = self.node(item["source"], where)
            targets = item.get("targets") or [item["target"]]
            group_id = self.ids(self.groups, item.get("group"), "redundancy group", where)
            for target in targets:
                target_type, target_id = self.node(target, where)
                values = {
                    "source_type": source_type,
                    "source_id": source_id,
                    "kind": item["kind"],
                    "target_type": target_type,
                    "target_id": target_id,
                    "redundancy_group_id": group_id,
                    "origin": "import",
                }
                self.add(Dependency, arch.DependencyCreate, values, where)
        self.flush()

    def security(self) -> None:
        for item in self.read("security.yaml")["security_levels"]:
            where = f"security level of {item.get('system')}"
            values = {k: v for k, v in item.items() if k != "system"}
            values["system_id"] = self.ids(self.systems, item.get("system"), "system", where)
            self.add(SecurityLevelRecord, arch.SecurityLevelCreate, values, where)
        self.flush()

    def contracts(self) -> None:
        for item in self.read("contracts.yaml")["contracts"]:
            where = f"contract {item.get('code')}"
            values = {k: v for k, v in item.items() if k not in ("agency", "devices", "systems")}
            values["agency_id"] = self.ids(self.agencies, item.get("agency"), "agency", where)
            values["devices__rel"] = [
                self.ref(self.devices, d, "device", where) for d in item.get("devices", [])
            ]
            values["systems__rel"] = [
                self.ref(self.systems, s, "system", where) for s in item.get("systems", [])
            ]
            self.add(Contract, arch.ContractCreate, values, where)
        self.flush()

    def roadmap(self) -> None:
        for plan_item in self.read("roadmap.yaml")["plans"]:
            where = f"plan {plan_item.get('name')}"
            values = {k: v for k, v in plan_item.items() if k not in ("phases", "framework")}
            values["framework_id"] = self.ids(
                self.frameworks, plan_item.get("framework"), "framework version", where
            )
            plan = self.add(RoadmapPlan, arch.RoadmapPlanCreate, values, where)
            self.flush()
            for phase_item in plan_item.get("phases", []):
                where = f"phase {phase_item.get('name')}"
                values = {k: v for k, v in phase_item.items() if k != "tasks"}
                values["plan_id"] = plan.id
                phase = self.add(RoadmapPhase, arch.RoadmapPhaseCreate, values, where)
                self.flush()
                for task_item in phase_item.get("tasks", []):
                    self.task(phase, task_item)

    def task(self, phase: RoadmapPhase, item: dict[str, Any]) -> None:
        where = f"task {item.get('code')}"
        values = {
            "phase_id": phase.id,
            "code": item["code"],
            "name": item["name"],
            "type": item["type"],
            "lead_agency_id": self.ids(self.agencies, item.get("lead"), "agency", where),
            "deadline": item.get("deadline"),
            "budget_estimated_vnd": item.get("estimated", 0),
            "budget_approved_vnd": item.get("approved", 0),
            "budget_disbursed_vnd": item.get("disbursed", 0),
            "funding_source": item["funding"],
            "status": item.get("status", "proposed"),
            "percent_complete": item.get("percent", 0),
            "completed_on": item.get("completed_on"),
            "coordinating_agencies__rel": [
                self.ref(self.agencies, a, "agency", where) for a in item.get("coordinating", [])
            ],
        }
        task = self.add(RoadmapTask, arch.RoadmapTaskCreate, values, where)
        self.flush()
        for effect in item.get("effects", []):
            action, _, target = str(effect).partition(" ")
            target_type, target_id = self.node(target, where)
            values = {
                "task_id": task.id,
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
            }
            self.add(RoadmapTaskEffect, arch.RoadmapTaskEffectCreate, values, where)
        self.flush()


def load_example(session: Session, folder: Path = PROVINCE_DIR) -> dict[str, int]:
    """Load the example province; returns how many rows of each table were created."""
    province = yaml.safe_load((folder / "organization.yaml").read_text(encoding="utf-8"))["agencies"][0]
    existing = session.scalar(select(Agency).where(Agency.code == province["code"]))
    if existing is not None:
        raise AlreadySeeded(
            f"the example province is already loaded (agency {existing.code} {existing.name!r} exists); "
            "use an empty database to load it again"
        )
    loader = _Loader(session, folder)
    loader.organization()
    loader.equipment()
    loader.frameworks_()
    loader.architecture()
    loader.dependencies()
    # Dossiers after deployments: an approval recorded now postdates every deployment above.
    loader.security()
    loader.contracts()
    loader.roadmap()
    return dict(sorted(loader.counts.items()))


__all__ = ["PROVINCE_DIR", "AlreadySeeded", "SeedError", "date", "load_example"]
