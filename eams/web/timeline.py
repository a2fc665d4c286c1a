"""The roadmap as a timeline: each phase a bar from its start to its end, each task a bar from
its phase's start to its deadline (or the day it was completed), placed in percent of the whole
span so plain HTML/CSS draws it. A task past its deadline and not finished is late (red), as the
roadmap report counts it; a scoped caller sees the tasks its agencies lead, as in the report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import RoadmapPhase, RoadmapPlan, RoadmapTask, TaskStatus
from inventory.reports.roadmap import FINISHED

MAX_TASKS = 2000  # a timeline wider than this is not read; the report's tables still count them all


@dataclass(frozen=True)
class Bar:
    label: str
    start: dt.date
    end: dt.date
    left_pct: float
    width_pct: float
    late: bool = False
    done: bool = False
    percent: int = 0
    code: str | None = None


@dataclass
class PhaseLane:
    plan: str
    bar: Bar
    tasks: list[Bar] = field(default_factory=list)


@dataclass(frozen=True)
class Timeline:
    start: dt.date
    end: dt.date
    lanes: list[PhaseLane]
    today_pct: float | None
    years: list[tuple[int, float]]  # (year, left %) of each 1 January inside the span


def place(start: dt.date, end: dt.date, span_start: dt.date, span_days: int) -> tuple[float, float]:
    left = (start - span_start).days / span_days * 100
    width = max((end - start).days, 1) / span_days * 100
    return round(left, 3), round(max(width, 0.5), 3)


def roadmap_timeline(session: Session, agency_ids: frozenset[int] | None, as_of: dt.date) -> Timeline | None:
    statement = (
        select(RoadmapTask, RoadmapPhase, RoadmapPlan)
        .join(RoadmapPhase, RoadmapTask.phase_id == RoadmapPhase.id)
        .join(RoadmapPlan, RoadmapPhase.plan_id == RoadmapPlan.id)
        .where(RoadmapTask.status != TaskStatus.cancelled)
        .order_by(RoadmapPlan.id, RoadmapPhase.ordinal, RoadmapTask.deadline, RoadmapTask.id)
        .limit(MAX_TASKS)
    )
    if agency_ids is not None:
        statement = statement.where(RoadmapTask.lead_agency_id.in_(agency_ids))
    rows = session.execute(statement).all()
    # Each phase's span: its own dates, else its plan's period, else its tasks' deadlines; the
    # drawing also covers a task finished or due outside its phase.
    spans: dict[int, tuple[dt.date, dt.date]] = {}
    task_days: list[dt.date] = []
    for task, phase, plan in rows:
        ends = [d for d in (task.completed_on, task.deadline) if d is not None]
        task_days.extend(ends)
        own_start = phase.start_date or plan.period_start
        own_end = phase.end_date or plan.period_end
        start = own_start or min(ends, default=None)
        end = own_end or max(ends, default=None)
        if start is None or end is None:
            continue
        known = spans.get(phase.id, (start, end))
        spans[phase.id] = (
            known[0] if own_start else min(known[0], start),
            known[1] if own_end else max(known[1], end),
        )
    if not spans:
        return None
    span_start = min([s for s, _ in spans.values()] + task_days)
    span_end = max([e for _, e in spans.values()] + task_days)
    span_days = max((span_end - span_start).days, 1)
    lanes: dict[int, PhaseLane] = {}
    for task, phase, plan in rows:
        if phase.id not in spans:
            continue
        if phase.id not in lanes:
            p_start, p_end = spans[phase.id]
            lanes[phase.id] = PhaseLane(
                plan.name, Bar(phase.name, p_start, p_end, *place(p_start, p_end, span_start, span_days))
            )
        t_end = task.completed_on or task.deadline or spans[phase.id][1]
        t_start = min(spans[phase.id][0], t_end)
        late = task.deadline is not None and task.deadline < as_of and task.status not in FINISHED
        lanes[phase.id].tasks.append(
            Bar(
                task.name,
                t_start,
                t_end,
                *place(t_start, t_end, span_start, span_days),
                late=late,
                done=task.status is TaskStatus.done,
                percent=task.percent_complete,
                code=task.code,
            )
        )
    today = (as_of - span_start).days / span_days * 100 if span_start <= as_of <= span_end else None
    years = [
        (year, round((dt.date(year, 1, 1) - span_start).days / span_days * 100, 3))
        for year in range(span_start.year + 1, span_end.year + 1)
    ]
    return Timeline(span_start, span_end, list(lanes.values()), today, years)
