"""Amounts in a device CSV: Vietnamese (1.250.000 / 1.250.000,50) and international
(1,250,000 / 1,250,000.50) forms are read as written; an ambiguous one (one separator followed by
exactly three digits: 1.250) and a fraction of a dong are row errors; nothing is rounded or
multiplied silently. An upsert of a row equal to what is stored reports it as unchanged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from inventory.csv_io import parse_money


def import_csv(client: TestClient, text: str, mode: str = "create"):
    return client.post(
        f"/api/v1/devices/import?mode={mode}", content=text.encode(), headers={"Content-Type": "text/csv"}
    )


@pytest.mark.parametrize(
    ("written", "dong"),
    [
        ("1250000", 1_250_000),
        ("1.250.000", 1_250_000),
        ("1,250,000", 1_250_000),
        ("1 250 000", 1_250_000),
        ("1.250.000,00", 1_250_000),
        ("1,250,000.00", 1_250_000),
        ("1.250.000.000 ₫", 1_250_000_000),
        ("1.250.000 đ", 1_250_000),
        ("1250000 VND", 1_250_000),
        ("12,00", 12),
    ],
)
def test_unambiguous_amounts_are_read_as_written(written: str, dong: int) -> None:
    assert parse_money(written) == dong


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("1.250.000,50", "fraction"),
        ("1,250,000.50", "fraction"),
        ("1.5", "fraction"),
        ("12,5", "fraction"),
        ("1.250", "ambiguous"),
        ("1,250", "ambiguous"),
        ("1.25.000", "group"),
        ("1,250.000,5", "group"),
        ("12.50.000", "group"),
        ("abc", "not an amount"),
        ("-5", "not an amount"),
    ],
)
def test_fractions_ambiguous_and_malformed_amounts_are_refused(written: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_money(written)


def test_a_refused_amount_is_a_row_error_naming_row_and_column(admin: TestClient) -> None:
    sheet = (
        "name;role;purchase_cost_vnd\r\n"
        "srv-01;server;1.250.000\r\n"
        'srv-02;server;"1.250.000,50"\r\n'
        "srv-03;server;1.5\r\n"
    )
    response = import_csv(admin, sheet)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "purchase_cost_vnd"), (4, "purchase_cost_vnd")]
    assert admin.get("/api/v1/devices").json()["count"] == 0


def test_vietnamese_and_international_amounts_are_stored_exactly(admin: TestClient) -> None:
    sheet = 'name,role,purchase_cost_vnd\r\nsrv-01,server,1.250.000\r\nsrv-02,server,"1,250,000.00"\r\n'
    assert import_csv(admin, sheet).status_code == 200
    costs = {d["name"]: d["purchase_cost_vnd"] for d in admin.get("/api/v1/devices").json()["results"]}
    assert costs == {"srv-01": 1_250_000, "srv-02": 1_250_000}


def test_upsert_of_an_unchanged_row_reports_it_unchanged(admin: TestClient) -> None:
    sheet = "name,role,purchase_cost_vnd,tags\r\nsrv-01,server,1.250.000,a;b\r\nsrv-02,server,,\r\n"
    assert import_csv(admin, sheet).status_code == 200
    changed = sheet.replace("srv-02,server,,", "srv-02,storage,,")
    again = import_csv(admin, changed, mode="upsert")
    assert again.status_code == 200, again.text
    assert again.json() == {"mode": "upsert", "rows": 2, "created": 0, "updated": 1, "unchanged": 1}
    updates = admin.get("/api/v1/changes", params={"object_type": "device", "action": "update"}).json()
    assert updates["count"] == 1
