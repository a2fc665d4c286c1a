"""Roadmap progress and budget per plan, phase, lead agency and funding source; late tasks.

Cancelled tasks count nowhere. Progress is the plain mean of the tasks' percent complete; budgets are
sums in VND; `disbursed_pct` is disbursed over approved.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Agency, RoadmapPhase, RoadmapPlan, RoadmapTask, TaskStatus
from inventory.reports.table import Report, ReportTable

METRICS = [
    "tasks",
    "done",
    "late",
    "progress_pct",
    "estimated_vnd",
    "approved_vnd",
    "disbursed_vnd",
    "disbursed_pct",
]
FINISHED = (TaskStatus.done, TaskStatus.cancelled)


@dataclass(frozen=True)
class TaskRow:
    task: RoadmapTask
    phase: RoadmapPhase
    plan: RoadmapPlan
    lead: str

    def late(self, as_of: date) -> bool:
        return (
            self.task.deadline is not None and self.task.deadline < as_of and self.task.status not in FINISHED
        )


def _metrics(rows: list[TaskRow], as_of: date) -> list[object]:
    approved = sum(int(r.task.budget_approved_vnd) for r in rows)
    disbursed = sum(int(r.task.budget_disbursed_vnd) for r in rows)
    return [
        len(rows),
        sum(1 for r in rows if r.task.status is TaskStatus.done),
        sum(1 for r in rows if r.late(as_of)),
        round(sum(r.task.percent_complete for r in rows) / len(rows), 1) if rows else 0.0,
        sum(int(r.task.budget_estimated_vnd) for r in rows),
        approved,
        disbursed,
        round(100 * disbursed / approved, 1) if approved else 0.0,
    ]


def _grouped(
    name: str,
    keys: list[str],
    rows: Iterable[TaskRow],
    key: Callable[[TaskRow], tuple[Hashable, ...]],
    as_of: date,
) -> ReportTable:
    groups: dict[tuple[Hashable, ...], list[TaskRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    table = ReportTable(name, [*keys, *METRICS])
    for group_key in sorted(groups, key=lambda k: tuple(str(part) for part in k)):
        table.add(*group_key, *_metrics(groups[group_key], as_of))
    return table


def roadmap_report(
    session: Session, as_of: date, plan_id: int | None = None, agency_ids: frozenset[int] | None = None
) -> Report:
    """`agency_ids` (a scoped token's subtree) keeps the tasks those agencies lead."""
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    statement = (
        select(RoadmapTask, RoadmapPhase, RoadmapPlan)
        .join(RoadmapPhase, RoadmapTask.phase_id == RoadmapPhase.id)
        .join(RoadmapPlan, RoadmapPhase.plan_id == RoadmapPlan.id)
        .where(RoadmapTask.status != TaskStatus.cancelled)
        .order_by(RoadmapPlan.id, RoadmapPhase.ordinal, RoadmapTask.id)
    )
    if plan_id is not None:
        statement = statement.where(RoadmapPlan.id == plan_id)
    if agency_ids is not None:
        statement = statement.where(RoadmapTask.lead_agency_id.in_(agency_ids))
    rows = [
        TaskRow(task, phase, plan, agencies.get(task.lead_agency_id or 0, "(no agency)"))
        for task, phase, plan in session.execute(statement).all()
    ]
    plans = _grouped("plans", ["plan"], rows, lambda r: (r.plan.name,), as_of)
    phase_order = {(r.plan.name, r.phase.name): r.phase.ordinal for r in rows}
    phases = _grouped("phases", ["plan", "phase"], rows, lambda r: (r.plan.name, r.phase.name), as_of)
    phases.rows.sort(key=lambda row: (row[0], phase_order[(row[0], row[1])]))
    by_agency = _grouped("agencies", ["lead_agency"], rows, lambda r: (r.lead,), as_of)
    by_source = _grouped("funding", ["funding_source"], rows, lambda r: (r.task.funding_source.value,), as_of)

    late = ReportTable(
        "late",
        [
            "plan",
            "phase",
            "task",
            "code",
            "lead_agency",
            "deadline",
            "days_late",
            "status",
            "percent_complete",
        ],
    )
    for row in sorted((r for r in rows if r.late(as_of)), key=lambda r: (r.task.deadline, r.task.id)):
        assert row.task.deadline is not None
        late.add(
            row.plan.name,
            row.phase.name,
            row.task.name,
            row.task.code,
            row.lead,
            row.task.deadline,
            (as_of - row.task.deadline).days,
            row.task.status,
            row.task.percent_complete,
        )
    totals = dict(zip(METRICS, _metrics(rows, as_of), strict=True))
    return Report(
        "Roadmap: progress and budget",
        [plans, phases, by_agency, by_source, late],
        parameters={"as_of": as_of, "plan_id": plan_id},
        summary=totals,
    )
