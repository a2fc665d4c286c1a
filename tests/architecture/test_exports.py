"""Every report exports as CSV (the main table, or one named) and XLSX (one sheet per table), with
the same rows as the JSON answer."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.architecture.conftest import AS_OF, Example

REPORTS: list[tuple[str, dict[str, Any]]] = [
    ("impact", {"node_type": "device", "node_name": "dc-acc-sw-01"}),
    ("dependencies", {"node_type": "device", "node_name": "dc-esx-01"}),
    ("duplicates", {}),
    ("lifecycle", {"as_of": AS_OF, "within_days": 90}),
    ("security", {}),
    ("roadmap", {"as_of": AS_OF}),
    ("portfolio", {}),
]


def as_text(value: Any) -> str:
    """Cells compared as text; a whole number reads the same whether stored as 51, 51.0 or "51.0"."""
    if value is None:
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() and not isinstance(value, bool) else str(value)


def json_rows(report: dict[str, Any], table: str) -> list[list[str]]:
    rows = report["tables"][table]
    return [[as_text(value) for value in row.values()] for row in rows]


@pytest.mark.parametrize(("name", "params"), REPORTS, ids=[name for name, _ in REPORTS])
def test_csv_and_xlsx_carry_the_same_rows_as_json(example_readonly: Example, name: str, params: dict) -> None:
    client = example_readonly.client
    report = example_readonly.report(name, **params)
    main = next(iter(report["tables"]))
    assert report["tables"][main], f"{name}: the example should give the main table some rows"

    response = client.get(f"/api/v1/reports/{name}", params={**params, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    parsed = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert parsed[0] == list(report["tables"][main][0].keys())
    assert [[as_text(cell) for cell in row] for row in parsed[1:]] == json_rows(report, main)

    response = client.get(f"/api/v1/reports/{name}", params={**params, "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == list(report["tables"])
    for table in report["tables"]:
        sheet = [[as_text(cell) for cell in row] for row in workbook[table].iter_rows(values_only=True)]
        if report["tables"][table]:
            assert sheet[0] == list(report["tables"][table][0].keys())
        assert sheet[1:] == json_rows(report, table), f"{name}.{table}"


def test_csv_of_another_table_and_vietnamese_text(example_readonly: Example) -> None:
    response = example_readonly.client.get(
        "/api/v1/reports/roadmap", params={"as_of": AS_OF, "format": "csv", "table": "late"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["code"] for row in rows] == ["T1.2", "T2.1"]
    assert rows[0]["lead_agency"] == "Sở Khoa học và Công nghệ"
    assert 'filename="roadmap-late.csv"' in response.headers["content-disposition"]


def test_unknown_format_or_table_names_the_parameter(example_readonly: Example) -> None:
    client = example_readonly.client
    bad_format = client.get("/api/v1/reports/portfolio", params={"format": "pdf"})
    assert bad_format.status_code == 400 and bad_format.json()["field"] == "format"
    bad_table = client.get("/api/v1/reports/portfolio", params={"format": "csv", "table": "nope"})
    assert bad_table.status_code == 400 and bad_table.json()["field"] == "table"
    assert "agencies" in bad_table.json()["detail"]
