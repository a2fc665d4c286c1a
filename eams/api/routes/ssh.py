"""Configuration backups over SSH: take one now, list the versions, read one, diff two."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from collectors.ssh.backup import unified_diff
from collectors.ssh.collector import Want
from collectors.ssh.models import CommandOutput, ConfigVersion
from eams.api.deps import Reader, ServicesDep, SessionDep, Writer
from eams.api.errors import ApiError, NotFound, Unprocessable
from eams.api.params import PathId
from eams.auth import Principal
from eams.components.ssh import shared_ssh_collector
from inventory.models import Device

router = APIRouter(prefix="/devices/{device_id}", tags=["configuration backups"])


class DeviceUnreachable(ApiError):
    """The device did not give its configuration (unreachable, refused login, changed host key)."""

    status_code = 502


class ConfigVersionSummary(BaseModel):
    version: int
    sha256: str
    collected_at: Any
    last_confirmed_at: Any
    command: str
    platform: str
    redacted_secrets: int
    lines: int


class ConfigVersionRead(ConfigVersionSummary):
    text: str


def _device(session: SessionDep, caller: Principal, device_id: PathId) -> Device:
    device = session.get(Device, device_id)
    visible = caller.agency_ids is None or (
        device is not None
        and (device.owner_agency_id in caller.agency_ids or device.operating_agency_id in caller.agency_ids)
    )
    if device is None or not visible:
        raise NotFound(f"there is no device {device_id}")
    return device


def _summary(row: ConfigVersion) -> dict[str, Any]:
    return ConfigVersionSummary.model_validate(row, from_attributes=True).model_dump(mode="json")


@router.post("/config-backups", summary="Back up the device's configuration now (over SSH)")
async def backup_now(
    device_id: PathId, request: Request, services: ServicesDep, caller: Writer
) -> dict[str, Any]:
    with services.db.session() as session:
        _device(session, caller, device_id)
    collector = shared_ssh_collector(services)
    targets, problems = collector.targets([device_id])
    if problems:
        raise Unprocessable(f"device {device_id} cannot be backed up over SSH: {problems[0].message}")
    outcome = (await collector.run(targets, Want(backup=True, facts=True)))[0]
    if outcome.error is not None:
        raise DeviceUnreachable(
            f"backup of device {device_id} failed ({outcome.error.kind}): {outcome.error.message}"
        )
    return {
        "device_id": device_id,
        "version": outcome.version,
        "changed": outcome.changed,
        "facts": outcome.facts,
        "staged_facts": outcome.staged_facts,
    }


@router.get("/config-versions", summary="List the stored configuration versions, newest first")
def list_versions(
    device_id: PathId,
    session: SessionDep,
    caller: Reader,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
) -> dict[str, Any]:
    _device(session, caller, device_id)
    rows = session.scalars(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == device_id)
        .order_by(ConfigVersion.version.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    count = session.scalar(select(func.count()).where(ConfigVersion.device_id == device_id)) or 0
    return {"count": count, "limit": limit, "offset": offset, "results": [_summary(row) for row in rows]}


def _version(session: SessionDep, device_id: PathId, number: int, field: str) -> ConfigVersion:
    row = session.scalar(
        select(ConfigVersion).where(ConfigVersion.device_id == device_id, ConfigVersion.version == number)
    )
    if row is None:
        raise NotFound(f"{field}: device {device_id} has no configuration version {number}", field=field)
    return row


@router.get("/config-versions/diff", summary="Unified diff between two versions")
def diff_versions(
    device_id: PathId,
    session: SessionDep,
    caller: Reader,
    from_version: int = Query(..., alias="from", ge=1, le=2**31),
    to_version: int = Query(..., alias="to", ge=1, le=2**31),
) -> dict[str, Any]:
    device = _device(session, caller, device_id)
    old = _version(session, device_id, from_version, "from")
    new = _version(session, device_id, to_version, "to")
    return {
        "device_id": device_id,
        "from": from_version,
        "to": to_version,
        "diff": unified_diff(old, new, device.name),
    }


@router.get("/config-versions/{version}", summary="Read one version (secrets redacted)")
def read_version(version: PathId, device_id: PathId, session: SessionDep, caller: Reader) -> dict[str, Any]:
    _device(session, caller, device_id)
    row = _version(session, device_id, version, "version")
    return ConfigVersionRead.model_validate(row, from_attributes=True).model_dump(mode="json")


@router.get(
    "/ssh-outputs",
    summary="Latest raw output of each SSH command, beside its parsed rows and the parser used",
)
def command_outputs(device_id: PathId, session: SessionDep, caller: Reader) -> dict[str, Any]:
    _device(session, caller, device_id)
    rows = session.scalars(
        select(CommandOutput).where(CommandOutput.device_id == device_id).order_by(CommandOutput.purpose)
    ).all()
    results = [
        {
            "purpose": row.purpose,
            "command": row.command,
            "raw": row.raw,
            "parsed": row.parsed,
            "parser": row.parser,
            "parser_version": row.parser_version,
            "collected_at": row.collected_at.isoformat(),
        }
        for row in rows
    ]
    return {"count": len(results), "results": results}
