"""Walking the agency tree: sub-agencies for token scoping and roll-ups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Agency


def agency_subtree(session: Session, root_id: int) -> set[int]:
    """`root_id` and every agency below it (iterative: the tree is shallow but wide)."""
    found = {root_id}
    frontier = [root_id]
    while frontier:
        children = session.scalars(select(Agency.id).where(Agency.parent_id.in_(frontier))).all()
        frontier = [child for child in children if child not in found]
        found.update(frontier)
    return found


def would_create_cycle(session: Session, agency_id: int, new_parent_id: int | None) -> bool:
    """True when making `new_parent_id` the parent of `agency_id` would loop the tree."""
    if new_parent_id is None:
        return False
    return new_parent_id in agency_subtree(session, agency_id)
