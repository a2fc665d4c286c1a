"""Devices as CSV: `POST /devices/import` (a planner's spreadsheet in) and `GET /devices/export.csv`.

Reading, name resolution and validation live in `inventory.csv_io`; each row is then written with
the same checks as `POST /devices` (references, uniqueness, agency scope, custom fields). Any bad
row fails the whole import: the request's transaction is rolled back and every problem is reported
with its row number and column.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.api.deps import SessionDep, require
from eams.api.errors import ApiError, BadRequest, Unprocessable, UnsupportedMediaType
from eams.api.resources import apply_values, list_clauses, load, ordered_select
from eams.api.routes.inventory import DEVICES
from eams.auth import Permission, Principal
from inventory.csv_io import (
    COLUMNS,
    MAX_ERRORS,
    CsvFileError,
    CsvRow,
    References,
    RowError,
    RowInvalid,
    column_for,
    export_lines,
    payload_for,
    read_rows,
)
from inventory.models import Device

router = APIRouter(prefix="/devices", tags=["devices"])

CSV_TYPES = (
    "text/csv",
    "application/csv",
    "text/plain",
    "application/vnd.ms-excel",
    "application/octet-stream",
)


class ImportMode(StrEnum):
    create = "create"  # every row is a new device; a name already stored is an error
    upsert = "upsert"  # rows whose name is stored update that device (only the file's columns)


class ImportReport(BaseModel):
    mode: ImportMode
    rows: int
    created: int
    updated: int
    unchanged: int = 0  # upsert rows equal to the stored device: nothing written, nothing logged


async def csv_upload(request: Request) -> bytes:
    """The spreadsheet's bytes: the request body itself, or the multipart field `file`."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise BadRequest("send the spreadsheet in the multipart field 'file'", field="file")
        data: bytes = await upload.read()
        return data
    if content_type and content_type not in CSV_TYPES:
        raise UnsupportedMediaType(
            f"send the CSV as the body with Content-Type text/csv, or as multipart/form-data "
            f"with a field 'file'; not {content_type}"
        )
    return await request.body()


IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


@router.post(
    "/import",
    response_model=ImportReport,
    summary="Import devices from CSV",
    description=(
        f"Columns (header row, any order, `name` always, `role` for a new device): {', '.join(COLUMNS)}. "
        "References by name: site, rack (within the site), owner/operating agency by code or name, "
        "manufacturer and model, platform, credentials profile; tags separated by ';'. "
        "UTF-8 with or without BOM, ',' or ';' separated. mode=create adds devices; mode=upsert "
        "also updates the devices whose name exists (`unchanged` counts rows equal to what is stored). "
        "Amounts: 1.250.000 or 1,250,000 (a single mark before three digits, 1.250, is ambiguous and "
        "refused; decimals must be zero). One bad row and nothing is written: the 422 "
        "lists every problem with its row number (header = row 1) and column."
    ),
    openapi_extra={"requestBody": IMPORT_BODY},
    responses={422: {"description": "Row-level errors; nothing was written"}},
)
def import_devices(
    request: Request,
    session: SessionDep,
    caller: Principal = Depends(require(Permission.write)),
    data: bytes = Depends(csv_upload),
    mode: ImportMode = Query(ImportMode.create, description="create, or upsert (match by name)"),
) -> Any:
    try:
        _header, rows = read_rows(data)
    except CsvFileError as exc:
        raise BadRequest(str(exc), field="file") from None
    refs = References.load(session)
    stored = _stored_ids(session, [row.name for row in rows])
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    created = updated = unchanged = 0
    for row in rows:
        try:
            if row.name in first_seen:
                raise RowInvalid(
                    [RowError(row.row, "name", f"{row.name!r} is also in row {first_seen[row.name]}")]
                )
            first_seen[row.name] = row.row
            existing_id = stored.get(row.name)
            if existing_id is not None and mode is ImportMode.create:
                raise RowInvalid(
                    [
                        RowError(
                            row.row, "name", f"a device named {row.name!r} exists; import with mode=upsert"
                        )
                    ]
                )
            wrote = _write_row(session, request, caller, row, refs, existing_id)
            if existing_id is None:
                created += 1
            elif wrote:
                updated += 1
            else:
                unchanged += 1
        except RowInvalid as exc:
            errors.extend(exc.errors)
        except ApiError as exc:
            errors.append(RowError(row.row, column_for(exc.field), exc.message))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise Unprocessable(
            f"{len(errors)} problem(s) in {len(rows)} row(s); nothing was imported",
            errors=[error.as_dict() for error in errors],
        )
    return ImportReport(mode=mode, rows=len(rows), created=created, updated=updated, unchanged=unchanged)


def _write_row(
    session: Session,
    request: Request,
    caller: Principal,
    row: CsvRow,
    refs: References,
    existing_id: int | None,
) -> bool:
    """Write one row; False when it is an existing device that the row would not change."""
    payload = payload_for(row, refs, existing=existing_id is not None)
    if existing_id is None:
        apply_values(session, DEVICES, caller, request, Device(), payload.model_dump())
        return True
    device = load(session, DEVICES, caller, existing_id)
    values = payload.model_dump(exclude_unset=True)
    if all(getattr(device, name) == value for name, value in values.items()):
        return False
    try:
        apply_values(session, DEVICES, caller, request, device, values)
        return True
    except ApiError:
        # Forget this row's half-applied values so that later rows are checked against stored data.
        session.expire(device)
        raise


def _stored_ids(session: Session, names: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        found.update(
            {
                row[0]: row[1]
                for row in session.execute(select(Device.name, Device.id).where(Device.name.in_(chunk)))
            }
        )
    return found


@router.get(
    "/export.csv",
    response_class=Response,
    summary="Export devices as CSV",
    description=(
        "The same filters, q and ordering as GET /devices (no paging: every matching device). "
        "UTF-8 with BOM so that Excel shows Vietnamese; the columns are those of the import, so an "
        "export imports back unchanged."
    ),
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_devices(
    request: Request,
    session: SessionDep,
    caller: Principal = Depends(require(Permission.read)),
    q: str | None = Query(None, max_length=200, description="Free text; 'Yen Bai' finds 'Yên Bái'"),
    ordering: str | None = Query(None, max_length=200),
) -> Response:
    clauses = list_clauses(DEVICES, caller, list(request.query_params.multi_items()))
    statement = ordered_select(DEVICES, clauses, ordering).execution_options(yield_per=1000)
    refs = References.load(session)
    body = "".join(export_lines(session.scalars(statement), refs)).encode("utf-8")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="devices.csv"'},
    )
