"""Duplicate investment: systems that do what an active system already does for the same agencies.

System A duplicates system B when B is active, A is not retired, neither is a component of the other,
they share a reference-model code of the compared models (BRM and ARM by default: sharing a
technology such as a database engine is not duplication), and B already serves A's owner: B is
province-wide, or A's owner is B's owner or one of B's using agencies. Roadmap tasks that would
create such an A (not yet done or cancelled) are flagged.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import (
    Agency,
    EffectAction,
    EffectTarget,
    InformationSystem,
    ReferenceModel,
    RoadmapTask,
    RoadmapTaskEffect,
    SystemLifecycle,
    SystemScope,
    TaskStatus,
)
from inventory.reports.table import Report, ReportTable

DEFAULT_MODELS = (ReferenceModel.brm, ReferenceModel.arm)


def model_of(code: str) -> str:
    """Reference codes carry their model as a prefix: ARM.02.01 -> ARM."""
    return code.split(".", 1)[0].upper()


def _covers(existing: InformationSystem, candidate: InformationSystem) -> bool:
    if existing.scope is SystemScope.province:
        return True
    served = {existing.owner_agency_id, *existing.using_agency_ids}
    return candidate.owner_agency_id is not None and candidate.owner_agency_id in served


def _related(a: InformationSystem, b: InformationSystem) -> bool:
    return a.parent_id == b.id or b.parent_id == a.id


def duplicates_report(
    session: Session,
    models: tuple[ReferenceModel, ...] = DEFAULT_MODELS,
    agency_ids: frozenset[int] | None = None,
) -> Report:
    """`agency_ids` (a scoped token's subtree) keeps the duplicating systems those agencies own."""
    wanted = {m.value for m in models}
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    systems = list(session.scalars(select(InformationSystem).order_by(InformationSystem.id)))
    codes = {s.id: {c for c in s.reference_codes if model_of(c) in wanted} for s in systems}
    active = [s for s in systems if s.lifecycle is SystemLifecycle.active and codes[s.id]]

    pairs = ReportTable(
        "duplicates",
        [
            "system",
            "scope",
            "lifecycle",
            "owner",
            "duplicate_of",
            "duplicate_of_scope",
            "duplicate_of_owner",
            "shared_codes",
        ],
    )
    duplicated: dict[int, list[str]] = {}
    for candidate in systems:
        if candidate.lifecycle is SystemLifecycle.retired or not codes[candidate.id]:
            continue
        if agency_ids is not None and candidate.owner_agency_id not in agency_ids:
            continue
        for existing in active:
            if existing.id == candidate.id or _related(existing, candidate):
                continue
            shared = sorted(codes[candidate.id] & codes[existing.id])
            if not shared or not _covers(existing, candidate):
                continue
            duplicated.setdefault(candidate.id, []).append(existing.name)
            pairs.add(
                candidate.name,
                candidate.scope,
                candidate.lifecycle,
                agencies.get(candidate.owner_agency_id or 0),
                existing.name,
                existing.scope,
                agencies.get(existing.owner_agency_id or 0),
                shared,
            )

    names = {s.id: s.name for s in systems}
    tasks = ReportTable("tasks", ["task", "code", "status", "creates", "duplicate_of"])
    creating = session.execute(
        select(RoadmapTask, RoadmapTaskEffect.target_id)
        .join(RoadmapTaskEffect, RoadmapTaskEffect.task_id == RoadmapTask.id)
        .where(
            RoadmapTaskEffect.action == EffectAction.creates,
            RoadmapTaskEffect.target_type == EffectTarget.information_system,
            RoadmapTask.status.not_in([TaskStatus.done, TaskStatus.cancelled]),
            RoadmapTaskEffect.target_id.in_(list(duplicated)),
        )
        .order_by(RoadmapTask.id)
    ).all()
    for task, system_id in creating:
        tasks.add(task.name, task.code, task.status, names[system_id], sorted(duplicated[system_id]))
    return Report(
        "Duplicate investment check",
        [pairs, tasks],
        parameters={"models": [m.value for m in models]},
        summary={
            "systems_duplicating": len(duplicated),
            "pairs": len(pairs.rows),
            "flagged_tasks": len(tasks.rows),
        },
    )
