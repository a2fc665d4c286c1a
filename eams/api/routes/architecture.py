"""The architecture resources under /api/v1/: framework, systems, data, integrations, security levels,
contracts, roadmap, and the typed edges (dependencies, redundancy groups) between every kind of node."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.api.errors import Unprocessable
from eams.api.resources import Hook, Resource, build_router
from eams.api.routes.reports import router as reports_router
from eams.auth import Principal
from inventory.models import (
    Agency,
    ChangeAction,
    Contract,
    DataObject,
    Dependency,
    Deployment,
    Device,
    FrameworkVersion,
    InformationSystem,
    Integration,
    ObjectChange,
    PublicService,
    RedundancyGroup,
    ReferenceModelNode,
    RoadmapPhase,
    RoadmapPlan,
    RoadmapTask,
    RoadmapTaskEffect,
    SecurityLevelRecord,
)
from inventory.models.base import Base, utcnow
from inventory.nodes import NODE_MODELS, missing_ids
from inventory.schemas import architecture as schemas
from inventory.scoping import ROW_SCOPES, system_scope

__all__ = ["ARCHITECTURE_RESOURCES", "architecture_router", "system_scope"]

# ---------------------------------------------------------------------------------------------
# Many-to-many fields arrive as lists of ids (`using_agency_ids`) and are stored as relationships.


def _many(field: str, relationship: str, model: type[Base]) -> Hook:
    def hook(session: Session, obj: Any, values: dict[str, Any], _caller: Principal, _req: Request) -> None:
        if field not in values:
            return
        ids = list(dict.fromkeys(values.pop(field) or []))
        table = model.__table__
        rows = session.scalars(select(model).where(table.c.id.in_(ids)))
        found = {getattr(row, "id"): row for row in rows}  # noqa: B009
        absent = [item for item in ids if item not in found]
        if absent:
            label = str(model.__tablename__).replace("_", " ")
            raise Unprocessable(f"{field}: {label} {absent[0]} does not exist", field=field)
        values[relationship] = [found[item] for item in ids]
        if obj.id is not None:
            _log_membership(session, obj, field, getattr(obj, field), ids)

    return hook


def _log_membership(session: Session, obj: Any, field: str, before: list[int], after: list[int]) -> None:
    """The change log's snapshots hold columns only; a changed id list gets its own entry."""
    if sorted(before) == sorted(after):
        return
    session.add(
        ObjectChange(
            time=utcnow(),
            actor=str(session.info.get("actor", "system")),
            action=ChangeAction.update,
            object_type=obj.__tablename__,
            object_id=obj.id,
            object_repr=str(obj)[:255],
            before={field: sorted(before)},
            after={field: sorted(after)},
            request_id=session.info.get("request_id"),
        )
    )


def _chain(*hooks: Hook) -> Hook:
    def hook(session: Session, obj: Any, values: dict[str, Any], caller: Principal, request: Request) -> None:
        for each in hooks:
            each(session, obj, values, caller, request)

    return hook


def _merged(obj: Any, values: dict[str, Any], name: str) -> Any:
    return values[name] if name in values else getattr(obj, name, None)


def _endpoint_exists(type_field: str, id_field: str) -> Hook:
    """The typed edge's endpoint must name an existing row of its type (there is no foreign key)."""

    def hook(session: Session, obj: Any, values: dict[str, Any], _caller: Principal, _req: Request) -> None:
        node_type, node_id = _merged(obj, values, type_field), _merged(obj, values, id_field)
        if node_type is None or node_id is None:
            return
        kind = getattr(node_type, "value", node_type)
        if kind not in NODE_MODELS:
            raise Unprocessable(f"{type_field}: unknown node type {kind!r}", field=type_field)
        if missing_ids(session, kind, [node_id]):
            raise Unprocessable(
                f"{id_field}: {kind.replace('_', ' ')} {node_id} does not exist", field=id_field
            )

    return hook


def _no_self_edge(
    session: Session, obj: Any, values: dict[str, Any], _caller: Principal, _req: Request
) -> None:
    source = (_merged(obj, values, "source_type"), _merged(obj, values, "source_id"))
    target = (_merged(obj, values, "target_type"), _merged(obj, values, "target_id"))
    if source == target:
        raise Unprocessable("target_id: an edge cannot point at its own source", field="target_id")


def _system_not_own_parent(
    session: Session, obj: InformationSystem, values: dict[str, Any], _caller: Principal, _req: Request
) -> None:
    parent_id = values.get("parent_id")
    if obj.id is None or parent_id is None:
        return
    seen = {obj.id}
    cursor: int | None = parent_id
    while cursor is not None:
        if cursor in seen:
            raise Unprocessable("parent_id: a system cannot be a component of itself", field="parent_id")
        seen.add(cursor)
        cursor = session.scalar(select(InformationSystem.parent_id).where(InformationSystem.id == cursor))


# ---------------------------------------------------------------------------------------------
# Agency scoping: a token scoped to an agency subtree sees what those agencies own or run.


# Lists stored as JSON compare differently on SQLite and PostgreSQL (which has no json = text):
# they are not offered as filters.
JSON_LISTS = frozenset({"search_text", "reference_codes", "documents"})

ARCHITECTURE_RESOURCES = (
    Resource(
        "framework-versions",
        FrameworkVersion,
        schemas.FrameworkVersionCreate,
        schemas.FrameworkVersionUpdate,
        schemas.FrameworkVersionRead,
        "framework version",
        "architecture",
    ),
    Resource(
        "reference-model-nodes",
        ReferenceModelNode,
        schemas.ReferenceModelNodeCreate,
        schemas.ReferenceModelNodeUpdate,
        schemas.ReferenceModelNodeRead,
        "reference model node",
        "architecture",
    ),
    Resource(
        "information-systems",
        InformationSystem,
        schemas.InformationSystemCreate,
        schemas.InformationSystemUpdate,
        schemas.InformationSystemRead,
        "information system",
        "architecture",
        scope=ROW_SCOPES["information_system"],
        before_save=_chain(_many("using_agency_ids", "using_agencies", Agency), _system_not_own_parent),
        exclude_filters=JSON_LISTS,
    ),
    Resource(
        "public-services",
        PublicService,
        schemas.PublicServiceCreate,
        schemas.PublicServiceUpdate,
        schemas.PublicServiceRead,
        "public service",
        "architecture",
        scope=ROW_SCOPES["public_service"],
    ),
    Resource(
        "deployments",
        Deployment,
        schemas.DeploymentCreate,
        schemas.DeploymentUpdate,
        schemas.DeploymentRead,
        "deployment",
        "architecture",
        scope=ROW_SCOPES["deployment"],
    ),
    Resource(
        "data-objects",
        DataObject,
        schemas.DataObjectCreate,
        schemas.DataObjectUpdate,
        schemas.DataObjectRead,
        "data object",
        "architecture",
        scope=ROW_SCOPES["data_object"],
        exclude_filters=JSON_LISTS,
    ),
    Resource(
        "integrations",
        Integration,
        schemas.IntegrationCreate,
        schemas.IntegrationUpdate,
        schemas.IntegrationRead,
        "integration",
        "architecture",
        scope=ROW_SCOPES["integration"],
        before_save=_many("data_object_ids", "data_objects", DataObject),
    ),
    Resource(
        "security-levels",
        SecurityLevelRecord,
        schemas.SecurityLevelCreate,
        schemas.SecurityLevelUpdate,
        schemas.SecurityLevelRead,
        "security level record",
        "security levels",
        scope=ROW_SCOPES["security_level_record"],
        exclude_filters=JSON_LISTS,
    ),
    Resource(
        "contracts",
        Contract,
        schemas.ContractCreate,
        schemas.ContractUpdate,
        schemas.ContractRead,
        "contract",
        "contracts",
        scope=ROW_SCOPES["contract"],
        before_save=_chain(
            _many("device_ids", "devices", Device), _many("system_ids", "systems", InformationSystem)
        ),
    ),
    Resource(
        "roadmap-plans",
        RoadmapPlan,
        schemas.RoadmapPlanCreate,
        schemas.RoadmapPlanUpdate,
        schemas.RoadmapPlanRead,
        "roadmap plan",
        "roadmap",
    ),
    Resource(
        "roadmap-phases",
        RoadmapPhase,
        schemas.RoadmapPhaseCreate,
        schemas.RoadmapPhaseUpdate,
        schemas.RoadmapPhaseRead,
        "roadmap phase",
        "roadmap",
    ),
    Resource(
        "roadmap-tasks",
        RoadmapTask,
        schemas.RoadmapTaskCreate,
        schemas.RoadmapTaskUpdate,
        schemas.RoadmapTaskRead,
        "roadmap task",
        "roadmap",
        scope=ROW_SCOPES["roadmap_task"],
        before_save=_many("coordinating_agency_ids", "coordinating_agencies", Agency),
    ),
    Resource(
        "roadmap-task-effects",
        RoadmapTaskEffect,
        schemas.RoadmapTaskEffectCreate,
        schemas.RoadmapTaskEffectUpdate,
        schemas.RoadmapTaskEffectRead,
        "roadmap task effect",
        "roadmap",
        before_save=_endpoint_exists("target_type", "target_id"),
    ),
    Resource(
        "redundancy-groups",
        RedundancyGroup,
        schemas.RedundancyGroupCreate,
        schemas.RedundancyGroupUpdate,
        schemas.RedundancyGroupRead,
        "redundancy group",
        "dependencies",
    ),
    Resource(
        "dependencies",
        Dependency,
        schemas.DependencyCreate,
        schemas.DependencyUpdate,
        schemas.DependencyRead,
        "dependency",
        "dependencies",
        before_save=_chain(
            _endpoint_exists("source_type", "source_id"),
            _endpoint_exists("target_type", "target_id"),
            _no_self_edge,
        ),
    ),
)


def architecture_router() -> APIRouter:
    """The architecture resources and the planners' reports, as one router for the app."""
    router = APIRouter()
    for resource in ARCHITECTURE_RESOURCES:
        router.include_router(build_router(resource))
    router.include_router(reports_router)
    return router
