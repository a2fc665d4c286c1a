"""Reports as JSON, CSV (one table) or XLSX (one sheet per table, the main one first)."""

from __future__ import annotations

import csv
import io
import re

from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook

from eams.api.errors import BadRequest
from inventory.reports import Report, ReportTable

FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(report: Report, fmt: str, table: str | None, filename: str) -> Response:
    if fmt not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}", field="format")
    if table is not None and table not in {t.name for t in report.tables}:
        names = ", ".join(t.name for t in report.tables)
        raise BadRequest(f"table {table!r} is not in this report; choose one of {names}", field="table")
    if fmt == "json":
        return JSONResponse(report.as_json())
    if fmt == "csv":
        chosen = report.table(table)
        return Response(
            to_csv(chosen),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}-{chosen.name}.csv"'},
        )
    tables = [report.table(table)] if table else report.tables
    return Response(
        to_xlsx(tables),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


def to_csv(table: ReportTable) -> str:
    buffer = io.StringIO()
    # A BOM lets Excel open Vietnamese text as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return buffer.getvalue()


def to_xlsx(tables: list[ReportTable]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.name))
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(name: str) -> str:
    # Excel forbids []:*?/\ in sheet titles and caps them at 31 characters.
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
