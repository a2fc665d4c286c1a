"""Security levels (Decree 85/2016): which systems lack an approved level or need re-determination.

A system's effective level is the highest proposed level among itself and all its components
(subsystems, through `parent_id`), whatever the state of their dossiers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Agency, InformationSystem, LevelState, SecurityLevelRecord, SystemLifecycle
from inventory.reports.table import Report, ReportTable

NO_RECORD = "none"


def effective_levels(parents: Mapping[int, int | None], own: Mapping[int, int]) -> dict[int, int | None]:
    """For every system, the highest level among itself and its components (at any depth)."""
    best: dict[int, int | None] = {system: own.get(system) for system in parents}
    for system, level in own.items():
        seen: set[int] = set()
        cursor: int | None = parents.get(system)
        while cursor is not None and cursor not in seen:  # `seen` guards against a cycle in bad data
            seen.add(cursor)
            current = best.get(cursor)
            if current is None or level > current:
                best[cursor] = level
            cursor = parents.get(cursor)
    return best


def security_report(session: Session, agency_ids: frozenset[int] | None = None) -> Report:
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    systems = list(session.scalars(select(InformationSystem).order_by(InformationSystem.id)))
    records = {r.system_id: r for r in session.scalars(select(SecurityLevelRecord))}
    parents = {s.id: s.parent_id for s in systems}
    levels = effective_levels(parents, {sid: r.proposed_level for sid, r in records.items()})

    table = ReportTable(
        "systems",
        [
            "agency",
            "system",
            "code",
            "component_of",
            "level",
            "effective_level",
            "state",
            "decision_number",
            "decision_date",
            "attention",
        ],
    )
    names = {s.id: s.name for s in systems}
    tally: Counter[tuple[str, int | None, str]] = Counter()
    for system in systems:
        if system.lifecycle is SystemLifecycle.retired:
            continue
        if agency_ids is not None and system.owner_agency_id not in agency_ids:
            continue
        record = records.get(system.id)
        state = record.state.value if record else NO_RECORD
        own_level = record.proposed_level if record else None
        effective = levels.get(system.id)
        attention = _attention(state, own_level, effective)
        owner = agencies.get(system.owner_agency_id or 0, "(no agency)")
        table.add(
            owner,
            system.name,
            system.code,
            names.get(system.parent_id or 0),
            own_level,
            effective,
            state,
            record.decision_number if record else None,
            record.decision_date if record else None,
            attention,
        )
        tally[(owner, effective, state)] += 1

    by_level = ReportTable("by_agency_level", ["agency", "effective_level", "state", "systems"])
    for (owner, level, state), count in sorted(tally.items(), key=lambda i: (i[0][0], i[0][1] or 0, i[0][2])):
        by_level.add(owner, level, state, count)
    states = Counter(row[6] for row in table.rows)
    return Report(
        "Security levels (Decree 85/2016)",
        [table, by_level],
        summary={
            "systems": len(table.rows),
            "approved": states[LevelState.approved.value],
            "not_approved": len(table.rows) - states[LevelState.approved.value],
            "redetermination_needed": states[LevelState.redetermination_needed.value],
            "without_record": states[NO_RECORD],
        },
    )


def _attention(state: str, own_level: int | None, effective: int | None) -> str:
    if state == NO_RECORD:
        return "no dossier"
    if state == LevelState.redetermination_needed.value:
        return "re-determine"
    if state != LevelState.approved.value:
        return "not approved"
    if own_level is not None and effective is not None and effective > own_level:
        return "component above approved level"
    return ""
