"""Reports as JSON, CSV (one table) or XLSX (one sheet per table, the main one first)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook
from openpyxl.styles import Font

from eams.api.errors import BadRequest
from eams.i18n.columns import column_label, table_label, title_label
from inventory.reports import Report, ReportTable

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(
    report: Report, fmt: str, table: str | None, filename: str, language: str | None = None
) -> Response:
    """`language` None: column codes as headers (the API's machine-readable exports). A language
    (the web pages' downloads): headers, sheet names and the title from the translation catalogue,
    and in the XLSX real dates (DD/MM/YYYY) and numbers."""
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
            to_csv(chosen, language),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}-{chosen.name}.csv"'},
        )
    tables = [report.table(table)] if table else report.tables
    return Response(
        to_xlsx(tables, language, report.title),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


def headers(table: ReportTable, language: str | None) -> list[str]:
    if language is None:
        return list(table.columns)
    return [column_label(language, column) for column in table.columns]


def to_csv(table: ReportTable, language: str | None = None) -> str:
    buffer = io.StringIO()
    # A BOM lets Excel open Vietnamese text as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(table, language))
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return buffer.getvalue()


def to_xlsx(tables: list[ReportTable], language: str | None = None, title: str | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        name = table.name if language is None else table_label(language, table.name)
        sheet = workbook.create_sheet(_sheet_title(name))
        if language is not None and title:
            sheet.append([title_label(language, title)])
            sheet["A1"].font = Font(bold=True)
        sheet.append(headers(table, language))
        for row in table.rows:
            sheet.append(row if language is None else [_typed(value) for value in row])
        if language is not None:
            for cells in sheet.iter_rows(min_row=2):
                for item in cells:
                    if isinstance(item.value, dt.date):
                        item.number_format = "DD/MM/YYYY"
                    elif isinstance(item.value, int | float) and not isinstance(item.value, bool):
                        item.number_format = "#,##0" if isinstance(item.value, int) else "#,##0.0#"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _typed(value: object) -> object:
    """Report cells carry ISO dates as text; a spreadsheet wants a real date."""
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    return value


def _sheet_title(name: str) -> str:
    # Excel forbids []:*?/\ in sheet titles and caps them at 31 characters.
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
