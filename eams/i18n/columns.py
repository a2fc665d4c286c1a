"""The words for report and export columns, tables and titles: catalogue msgids keyed by the code
the report uses, so the same catalogue gives the pages' tables and the CSV/XLSX headers."""

from __future__ import annotations

from eams.i18n import gettext_for


def N_(message: str) -> str:
    return message


COLUMN_LABELS: dict[str, str] = {
    "agencies": N_("Agencies"),
    "agency": N_("Agency"),
    "approved": N_("Approved"),
    "approved_vnd": N_("Approved budget (VND)"),
    "attention": N_("Needs attention"),
    "category": N_("Category"),
    "cause": N_("Cause"),
    "cause_id": N_("Cause id"),
    "cause_type": N_("Cause type"),
    "code": N_("Code"),
    "component_of": N_("Component of"),
    "count": N_("Count"),
    "creates": N_("Creates"),
    "date": N_("Date"),
    "days_late": N_("Days late"),
    "days_left": N_("Days left"),
    "deadline": N_("Deadline"),
    "decision_date": N_("Decision date"),
    "decision_number": N_("Decision number"),
    "degraded": N_("Degraded"),
    "depth": N_("Depth"),
    "detail": N_("Detail"),
    "devices": N_("Devices"),
    "devices_total": N_("Devices in all"),
    "disbursed_pct": N_("Disbursed (%)"),
    "disbursed_vnd": N_("Disbursed (VND)"),
    "done": N_("Done"),
    "due": N_("Due soon"),
    "duplicate_of": N_("Duplicate of"),
    "duplicate_of_owner": N_("Owner of the duplicated system"),
    "duplicate_of_scope": N_("Scope of the duplicated system"),
    "effective_level": N_("Effective level"),
    "estimated_vnd": N_("Estimated budget (VND)"),
    "expired": N_("Expired"),
    "flagged_tasks": N_("Flagged tasks"),
    "funding_source": N_("Funding source"),
    "kind": N_("Kind"),
    "late": N_("Late"),
    "lead_agency": N_("Lead agency"),
    "level": N_("Level"),
    "lifecycle": N_("Lifecycle"),
    "milestone": N_("Milestone"),
    "min_up": N_("Needed up"),
    "name": N_("Name"),
    "needed": N_("Needed"),
    "node_id": N_("Id"),
    "node_type": N_("Type"),
    "not_approved": N_("Not approved"),
    "owner": N_("Owner"),
    "pairs": N_("Pairs"),
    "parent": N_("Parent"),
    "percent_complete": N_("Complete (%)"),
    "phase": N_("Phase"),
    "plan": N_("Plan"),
    "progress_pct": N_("Progress (%)"),
    "public_services": N_("Public services"),
    "redetermination_needed": N_("Re-determination needed"),
    "redundancy_group_id": N_("Redundancy group"),
    "role": N_("Role"),
    "scope": N_("Scope"),
    "shared_codes": N_("Shared codes"),
    "single_point": N_("Single point of failure"),
    "single_points_of_failure": N_("Single points of failure"),
    "site": N_("Site"),
    "state": N_("State"),
    "status": N_("Status"),
    "system": N_("System"),
    "systems": N_("Systems"),
    "systems_duplicating": N_("Systems duplicating"),
    "systems_total": N_("Systems in all"),
    "task": N_("Task"),
    "tasks": N_("Tasks"),
    "total": N_("Total"),
    "up": N_("Up"),
    "valid_to": N_("Valid until"),
    "via": N_("Via"),
    "via_id": N_("Via id"),
    "via_type": N_("Via type"),
    "without_record": N_("Without a record"),
}

TABLE_LABELS: dict[str, str] = {
    "agencies": N_("Agencies"),
    "by_agency": N_("By agency"),
    "by_agency_level": N_("By agency and level"),
    "degraded": N_("Degraded, held up by redundancy"),
    "devices": N_("Devices"),
    "duplicates": N_("Duplicates"),
    "funding": N_("By funding source"),
    "items": N_("Items"),
    "late": N_("Late tasks"),
    "lost": N_("Loses service"),
    "needs": N_("Needs"),
    "phases": N_("Phases"),
    "plans": N_("Plans"),
    "systems": N_("Systems"),
    "tasks": N_("Tasks"),
    "main": N_("Report"),
}

TITLE_LABELS: dict[str, str] = {
    "Dependencies: everything a node needs": N_("Dependencies: everything a node needs"),
    "Duplicate investment check": N_("Duplicate investment check"),
    "Impact analysis: what loses service": N_("Impact analysis: what loses service"),
    "Lifecycle: warranty, support and end of life": N_("Lifecycle: warranty, support and end of life"),
    "Portfolio: devices and systems by agency": N_("Portfolio: devices and systems by agency"),
    "Roadmap: progress and budget": N_("Roadmap: progress and budget"),
    "Security levels (Decree 85/2016)": N_("Security levels (Decree 85/2016)"),
}


def column_label(language: str, column: str) -> str:
    """A report column's header in `language`; a column without a word keeps its code."""
    message = COLUMN_LABELS.get(column)
    return gettext_for(language, message) if message else column


def table_label(language: str, table: str) -> str:
    message = TABLE_LABELS.get(table)
    return gettext_for(language, message) if message else table


def title_label(language: str, title: str) -> str:
    return gettext_for(language, TITLE_LABELS.get(title, title))
