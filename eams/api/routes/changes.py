"""The change log: read-only, filterable like every list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from eams.api.deps import Reader, SessionDep
from eams.api.resources import Page, PathId, Resource, list_objects, load
from inventory.models import ObjectChange
from inventory.schemas.changes import ObjectChangeRead

CHANGES = Resource(
    "changes", ObjectChange, ObjectChangeRead, ObjectChangeRead, ObjectChangeRead, "change", "changes"
)

router = APIRouter(prefix="/changes", tags=["changes"])


@router.get(
    "",
    response_model=Page[ObjectChangeRead],
    summary="List changes",
    description="Filters: actor, action, object_type, object_id, time__gte, time__lte ...; "
    "newest first unless ordering is given.",
)
def list_changes(
    request: Request,
    session: SessionDep,
    caller: Reader,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
    ordering: str | None = Query(None, max_length=200),
) -> Any:
    params = list(request.query_params.multi_items())
    if ordering is None:
        params.append(("ordering", "-time"))
    count, rows, lim, off = list_objects(session, CHANGES, caller, params)
    return {"count": count, "limit": lim, "offset": off, "results": rows}


@router.get("/{change_id}", response_model=ObjectChangeRead, summary="Read one change")
def read_change(change_id: PathId, session: SessionDep, caller: Reader) -> Any:
    return load(session, CHANGES, caller, change_id)
