"""Discovered facts: list them, accept one (the inventory is written; the change log names the
reviewer) or reject it. Shared by SNMP discovery and the SSH collector."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, func, select

from eams.api.deps import Reader, SessionDep, Writer
from eams.api.errors import Conflict, NotFound
from eams.api.params import PathId
from eams.api.routes.inventory import device_scope
from eams.auth import Principal
from inventory import discovery
from inventory.models import Device, DiscoveredFact, FactKind, FactSource, FactState
from inventory.schemas.discovery import DiscoveredFactRead, ReviewBody

router = APIRouter(prefix="/discovered-facts", tags=["discovery"])


def _in_scope(caller: Principal) -> ColumnElement[bool] | None:
    """The facts an agency-scoped token may see and review: those about its devices. A fact
    without a device (a new device) belongs to no agency yet, so only unscoped tokens see it."""
    if caller.agency_ids is None:
        return None
    return DiscoveredFact.device_id.in_(select(Device.id).where(device_scope(caller.agency_ids)))


@router.get("", summary="List discovered facts", description="Pending first; filter by state, kind ...")
def list_facts(
    session: SessionDep,
    caller: Reader,
    state: FactState | None = Query(None),
    kind: FactKind | None = Query(None),
    source: FactSource | None = Query(None),
    device_id: int | None = Query(None, ge=1, le=2**31),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
) -> dict[str, Any]:
    query = select(DiscoveredFact)
    scope = _in_scope(caller)
    if scope is not None:
        query = query.where(scope)
    for column, value in (
        (DiscoveredFact.state, state),
        (DiscoveredFact.kind, kind),
        (DiscoveredFact.source, source),
        (DiscoveredFact.device_id, device_id),
    ):
        if value is not None:
            query = query.where(column == value)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(DiscoveredFact.id).limit(limit).offset(offset)).all()
    results = [DiscoveredFactRead.model_validate(row).model_dump(mode="json") for row in rows]
    return {"count": count, "limit": limit, "offset": offset, "results": results}


def _fact(session: SessionDep, caller: Principal, fact_id: PathId) -> DiscoveredFact:
    query = select(DiscoveredFact).where(DiscoveredFact.id == fact_id)
    scope = _in_scope(caller)
    if scope is not None:
        query = query.where(scope)
    fact = session.scalar(query)
    if fact is None:  # outside the caller's agencies answers like a missing fact
        raise NotFound(f"there is no discovered fact {fact_id}")
    return fact


@router.get("/{fact_id}", response_model=DiscoveredFactRead, summary="Read one discovered fact")
def read_fact(fact_id: PathId, session: SessionDep, caller: Reader) -> Any:
    return _fact(session, caller, fact_id)


@router.post(
    "/{fact_id}/accept", response_model=DiscoveredFactRead, summary="Accept: write it to the inventory"
)
def accept_fact(fact_id: PathId, session: SessionDep, caller: Writer, body: ReviewBody | None = None) -> Any:
    fact = _fact(session, caller, fact_id)
    try:
        discovery.accept(session, fact, caller.actor, body.note if body else None)
    except discovery.ReviewError as exc:
        raise Conflict(str(exc)) from None
    return fact


@router.post(
    "/{fact_id}/reject", response_model=DiscoveredFactRead, summary="Reject: keep the inventory as is"
)
def reject_fact(fact_id: PathId, session: SessionDep, caller: Writer, body: ReviewBody | None = None) -> Any:
    fact = _fact(session, caller, fact_id)
    try:
        discovery.reject(session, fact, caller.actor, body.note if body else None)
    except discovery.ReviewError as exc:
        raise Conflict(str(exc)) from None
    return fact
