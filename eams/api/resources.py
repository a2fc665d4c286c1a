"""One generic REST resource: list/filter/page, read, create, bulk create/update/delete, update, delete.

Each inventory model is exposed by declaring a `Resource`; the checks every write needs (referenced
objects exist, unique values are free, the caller's agency scope, custom field types, references
that block a delete) live here once, so every resource answers bad input the same way.
"""

# No `from __future__ import annotations`: FastAPI reads the closures' annotations at runtime.

import datetime as dt
import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Table, UniqueConstraint, func, select
from sqlalchemy.orm import Session

from eams.api.authorization import Verb, authorize_write
from eams.api.deps import Reader, SessionDep, require
from eams.api.errors import ApiError, Conflict, Forbidden, NotFound, Unprocessable
from eams.api.listing import (
    apply_ordering,
    filter_clauses,
    parse_paging,
    search_clause,
)
from eams.api.params import PathId
from eams.auth import Permission, Principal
from inventory.models import CustomFieldDefinition, CustomFieldType
from inventory.models.base import Base
from inventory.schemas.common import ObjectId
from inventory.scoping import ScopeFn

ReadT = TypeVar("ReadT")
MAX_BULK = 1000
# Ids are 32-bit on PostgreSQL; larger numbers in a path are a 422, not a database overflow.


class Brief(BaseModel):
    id: int
    display: str


class Page(BaseModel, Generic[ReadT]):
    count: int = Field(description="How many objects match the filters, over all pages")
    limit: int
    offset: int
    results: list[ReadT]


class BriefPage(BaseModel):
    count: int
    limit: int
    offset: int
    results: list[Brief]


class IdList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[ObjectId] = Field(min_length=1, max_length=MAX_BULK)


Hook = Callable[[Session, Any, dict[str, Any], Principal, Request], None]
PresentFn = Callable[[Any, Request], dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    """How one model is exposed under /api/v1/<path>."""

    path: str
    model: type[Base]
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    read_schema: type[BaseModel]
    label: str
    tag: str
    # Agency scoping: the rows a token scoped to these agencies may see. None: shared reference data.
    scope: ScopeFn | None = None
    # Extra checks and side effects before an object is written (secrets, cycles ...).
    before_save: Hook | None = None
    # Builds the response body; default: the read schema from the ORM object's attributes.
    present: PresentFn | None = None
    read_permission: Permission = Permission.read
    write_permission: Permission = Permission.write
    # Columns the list endpoint filters and orders on; default: every plain column.
    exclude_filters: frozenset[str] = field(default_factory=lambda: frozenset({"search_text"}))

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[return-value]

    @property
    def filterable(self) -> frozenset[str]:
        skip = self.exclude_filters | {"tags", "custom_fields"}
        return frozenset(c.name for c in self.table.columns if c.name not in skip and not _is_binary(c))


def _is_binary(column: Any) -> bool:
    try:
        return column.type.python_type is bytes
    except NotImplementedError:
        return True


# ---------------------------------------------------------------------------------------------
# Write checks shared by every resource


def check_references(session: Session, resource: Resource, values: dict[str, Any]) -> None:
    for column in resource.table.columns:
        value = values.get(column.name)
        if value is None or not column.foreign_keys:
            continue
        target = next(iter(column.foreign_keys)).column
        exists = session.execute(select(target).where(target == value).limit(1)).first()
        if exists is None:
            raise Unprocessable(
                f"{column.name}: {target.table.name.replace('_', ' ')} {value} does not exist",
                field=column.name,
            )


def check_unique(session: Session, resource: Resource, obj: Any) -> None:
    table = resource.table
    groups: list[list[str]] = [[c.name] for c in table.columns if c.unique]
    groups += [
        [c.name for c in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    groups += [[c.name for c in index.columns] for index in table.indexes if index.unique]
    for names in groups:
        values = {name: getattr(obj, name) for name in names}
        if any(value is None for value in values.values()):
            continue
        statement = select(table.c.id).where(*(table.c[n] == v for n, v in values.items()))
        if obj.id is not None:
            statement = statement.where(table.c.id != obj.id)
        if session.execute(statement.limit(1)).first() is not None:
            described = ", ".join(f"{n} {v!r}" for n, v in values.items())
            raise Conflict(f"a {resource.label} with {described} already exists", field=names[-1])


def check_custom_fields(session: Session, resource: Resource, values: dict[str, Any]) -> None:
    if "custom_fields" not in values or values["custom_fields"] is None:
        return
    given: dict[str, Any] = values["custom_fields"]
    definitions = {
        d.name: d
        for d in session.scalars(
            select(CustomFieldDefinition).where(CustomFieldDefinition.object_type == resource.table.name)
        )
    }
    for name, value in given.items():
        definition = definitions.get(name)
        if definition is None:
            known = ", ".join(sorted(definitions)) or "none defined"
            raise Unprocessable(
                f"custom_fields.{name}: no such custom field for {resource.label} ({known})",
                field=f"custom_fields.{name}",
            )
        problem = custom_value_problem(definition, value)
        if problem:
            raise Unprocessable(f"custom_fields.{name}: {problem}", field=f"custom_fields.{name}")
    for name, definition in definitions.items():
        if definition.required and given.get(name) in (None, ""):
            raise Unprocessable(f"custom_fields.{name} is required", field=f"custom_fields.{name}")


def custom_value_problem(definition: CustomFieldDefinition, value: Any) -> str | None:
    if value is None:
        return None
    kind = definition.type
    if kind in (CustomFieldType.text, CustomFieldType.url):
        ok = isinstance(value, str) and len(value) <= 2000
        if ok and kind is CustomFieldType.url and not value.startswith(("http://", "https://")):
            return "must be an http(s) URL"
        return None if ok else "must be text of at most 2000 characters"
    if kind is CustomFieldType.integer:
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be a whole number"
    if kind is CustomFieldType.decimal:
        try:
            decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            return "must be a number"
        return None if not isinstance(value, bool) else "must be a number"
    if kind is CustomFieldType.boolean:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is CustomFieldType.date:
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
        return None
    if kind is CustomFieldType.select:
        return None if value in definition.choices else f"must be one of {definition.choices}"
    return None


def check_not_referenced(session: Session, resource: Resource, object_id: int) -> None:
    """A delete that a RESTRICT foreign key would refuse gets a 409 that says who still points here."""
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not resource.table or fk.ondelete in ("CASCADE", "SET NULL"):
                continue
            column = fk.parent
            count = session.scalar(select(func.count()).select_from(table).where(column == object_id))
            if count:
                raise Conflict(
                    f"{resource.label} {object_id} is still used by {count} "
                    f"{table.name.replace('_', ' ')} row(s) through {column.name}; "
                    "move or delete them first"
                )


def scoped(resource: Resource, caller: Principal) -> ColumnElement[bool] | None:
    if caller.agency_ids is None or resource.scope is None:
        return None
    return resource.scope(caller.agency_ids)


def ensure_in_scope(session: Session, resource: Resource, caller: Principal, obj: Any, verb: Verb) -> None:
    """The one authorization rule of every write verb (eams.api.authorization)."""
    authorize_write(session, resource.table, resource.label, resource.scope, caller, obj, verb)


# ---------------------------------------------------------------------------------------------
# Reading


def load(session: Session, resource: Resource, caller: Principal, object_id: int) -> Any:
    if not 0 < object_id < 2**63:  # beyond any stored id; SQLite would overflow on it (a 500)
        raise NotFound(f"{resource.label} {object_id} not found")
    statement = select(resource.model).where(resource.table.c.id == object_id)
    clause = scoped(resource, caller)
    if clause is not None:
        statement = statement.where(clause)
    obj = session.scalar(statement)
    if obj is None:
        raise NotFound(f"{resource.label} {object_id} not found")
    return obj


def list_objects(
    session: Session,
    resource: Resource,
    caller: Principal,
    params: Sequence[tuple[str, str]],
    extra_clauses: Sequence[ColumnElement[bool]] = (),
) -> tuple[int, list[Any], int, int]:
    query = dict(params)
    paging = parse_paging(query)
    clauses = list_clauses(resource, caller, params, extra_clauses)
    count = session.scalar(select(func.count()).select_from(resource.table).where(*clauses)) or 0
    statement = ordered_select(resource, clauses, query.get("ordering"))
    rows = list(session.scalars(statement.limit(paging.limit).offset(paging.offset)))
    return count, rows, paging.limit, paging.offset


def list_clauses(
    resource: Resource,
    caller: Principal,
    params: Sequence[tuple[str, str]],
    extra_clauses: Sequence[ColumnElement[bool]] = (),
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a list request: filters, `q`, and the caller's agency scope."""
    clauses = filter_clauses(resource.model, params, filterable=resource.filterable)
    clauses.extend(extra_clauses)
    search = search_clause(resource.model, dict(params).get("q"))
    if search is not None:
        clauses.append(search)
    scope_clause = scoped(resource, caller)
    if scope_clause is not None:
        clauses.append(scope_clause)
    return clauses


def ordered_select(resource: Resource, clauses: Sequence[ColumnElement[bool]], ordering: str | None) -> Any:
    return apply_ordering(
        select(resource.model).where(*clauses), resource.model, ordering, resource.filterable
    )


def presenter(resource: Resource) -> PresentFn:
    if resource.present is not None:
        return resource.present
    schema = resource.read_schema

    def present(obj: Any, _request: Request) -> dict[str, Any]:
        return schema.model_validate(obj, from_attributes=True).model_dump(mode="json")

    return present


# ---------------------------------------------------------------------------------------------
# Writing


def apply_values(
    session: Session,
    resource: Resource,
    caller: Principal,
    request: Request,
    obj: Any,
    values: dict[str, Any],
) -> Any:
    creating = obj.id is None
    check_references(session, resource, values)
    check_custom_fields(session, resource, values)
    if resource.before_save is not None:
        resource.before_save(session, obj, values, caller, request)
    for key, value in values.items():
        setattr(obj, key, value)
    check_unique(session, resource, obj)
    if obj.id is None:
        session.add(obj)
    session.flush()
    ensure_in_scope(session, resource, caller, obj, Verb.create if creating else Verb.update)
    return obj


def create_one(
    session: Session, resource: Resource, caller: Principal, request: Request, payload: BaseModel
) -> Any:
    values = payload.model_dump()
    return apply_values(session, resource, caller, request, resource.model(), values)


def update_one(
    session: Session,
    resource: Resource,
    caller: Principal,
    request: Request,
    object_id: int,
    payload: BaseModel,
) -> Any:
    obj = load(session, resource, caller, object_id)
    values = payload.model_dump(exclude_unset=True)
    return apply_values(session, resource, caller, request, obj, values)


def delete_one(session: Session, resource: Resource, caller: Principal, object_id: int) -> None:
    obj = load(session, resource, caller, object_id)
    ensure_in_scope(session, resource, caller, obj, Verb.delete)
    check_not_referenced(session, resource, object_id)
    session.delete(obj)
    session.flush()


def bulk(items: Sequence[Any], action: Callable[[Any], Any]) -> list[Any]:
    """Apply `action` to every item; any failure rolls back the lot and reports each failing row."""
    results: list[Any] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            results.append(action(item))
        except Forbidden:
            raise  # the caller may not do this at all: a 403, not a row error
        except ApiError as exc:
            errors.append({"index": index, "field": exc.field, "message": exc.message})
            if len(errors) >= 50:
                break
    if errors:
        raise Unprocessable(
            f"{len(errors)} of {len(items)} rows are invalid; nothing was written", errors=errors
        )
    return results


class BulkUpdateItem(BaseModel):
    id: int


def build_router(resource: Resource) -> APIRouter:
    # Item routes match digits only (`{object_id:int}`), so that a wrong method on a fixed path
    # beside them (`/devices/export.csv`, `/devices/import`) is a 405, not an id that fails to parse.
    router = APIRouter(prefix=f"/{resource.path}", tags=[resource.tag])
    Create = resource.create_schema
    Update = resource.update_schema
    Read = resource.read_schema
    can_read = require(resource.read_permission)
    can_write = require(resource.write_permission)
    present = presenter(resource)
    label = resource.label
    filters_doc = ", ".join(sorted(resource.filterable))

    BulkUpdate = type(f"{Update.__name__}WithId", (Update,), {"__annotations__": {"id": ObjectId}})

    @router.get(
        "",
        response_model=Page[Read] | BriefPage,  # type: ignore[valid-type]
        summary=f"List {resource.path}",
        description=(
            f"Filters (repeat a parameter for OR; add __n, __ic, __gte, __lte, __gt, __lt, __isnull): "
            f"{filters_doc}; tag; q (free text, diacritics ignored). Ordering: ordering=name or -name."
        ),
    )
    def list_(
        request: Request,
        session: SessionDep,
        caller: Principal = Depends(can_read),
        limit: int = Query(50, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=2**31),
        q: str | None = Query(None, max_length=200, description="Free text; 'Yen Bai' finds 'Yên Bái'"),
        ordering: str | None = Query(None, max_length=200),
        brief: bool = Query(False, description="Only id and display name"),
    ) -> Any:
        count, rows, lim, off = list_objects(
            session, resource, caller, list(request.query_params.multi_items())
        )
        if brief:
            results: list[Any] = [{"id": row.id, "display": str(row)} for row in rows]
        else:
            results = [present(row, request) for row in rows]
        # Each row went through the read schema in present(); a second validation of the whole
        # page against the response model would only cost time on every list call.
        return JSONResponse({"count": count, "limit": lim, "offset": off, "results": results})

    @router.post("", status_code=201, response_model=Read, summary=f"Create a {label}")
    def create(
        request: Request,
        session: SessionDep,
        payload: Create = Body(...),  # type: ignore[valid-type]
        caller: Principal = Depends(can_write),
    ) -> Any:
        return present(create_one(session, resource, caller, request, payload), request)

    @router.post("/bulk", status_code=201, response_model=list[Read], summary=f"Create many {resource.path}")  # type: ignore[valid-type]
    def create_many(
        request: Request,
        session: SessionDep,
        payload: list[Create] = Body(..., max_length=MAX_BULK),  # type: ignore[valid-type]
        caller: Principal = Depends(can_write),
    ) -> Any:
        created = bulk(payload, lambda item: create_one(session, resource, caller, request, item))
        return [present(obj, request) for obj in created]

    @router.patch("/bulk", response_model=list[Read], summary=f"Update many {resource.path}")  # type: ignore[valid-type]
    def update_many(
        request: Request,
        session: SessionDep,
        payload: list[BulkUpdate] = Body(..., max_length=MAX_BULK),  # type: ignore[valid-type]
        caller: Principal = Depends(can_write),
    ) -> Any:
        def one(item: Any) -> Any:
            changes = Update.model_validate(item.model_dump(exclude={"id"}, exclude_unset=True))
            return update_one(session, resource, caller, request, item.id, changes)

        return [present(obj, request) for obj in bulk(payload, one)]

    @router.delete("/bulk", status_code=204, summary=f"Delete many {resource.path}")
    def delete_many(
        session: SessionDep,
        payload: IdList = Body(...),
        caller: Principal = Depends(can_write),
    ) -> Response:
        bulk(payload.ids, lambda object_id: delete_one(session, resource, caller, object_id))
        return Response(status_code=204)

    @router.get("/{object_id:int}", response_model=Read, summary=f"Read one {label}")
    def read(
        request: Request, object_id: PathId, session: SessionDep, caller: Principal = Depends(can_read)
    ) -> Any:
        return present(load(session, resource, caller, object_id), request)

    @router.patch("/{object_id:int}", response_model=Read, summary=f"Update a {label} (only the fields sent)")
    def update(
        request: Request,
        object_id: PathId,
        session: SessionDep,
        payload: Update = Body(...),  # type: ignore[valid-type]
        caller: Principal = Depends(can_write),
    ) -> Any:
        return present(update_one(session, resource, caller, request, object_id, payload), request)

    @router.delete("/{object_id:int}", status_code=204, summary=f"Delete a {label}")
    def delete(object_id: PathId, session: SessionDep, caller: Principal = Depends(can_write)) -> Response:
        delete_one(session, resource, caller, object_id)
        return Response(status_code=204)

    return router


__all__ = [
    "Brief",
    "Page",
    "PathId",
    "Reader",
    "Resource",
    "apply_values",
    "build_router",
    "list_clauses",
    "list_objects",
    "load",
    "ordered_select",
]
