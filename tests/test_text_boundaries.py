"""Text is stored as NFC whichever way it was typed: the API, the CSV import and discovered facts
normalise it at the boundary, so decomposed Vietnamese (NFD: macOS, some editors) never makes a
second, identical-looking record, and every lookup finds it."""

from __future__ import annotations

import unicodedata

from fastapi.testclient import TestClient

from inventory.discovery import ObservedDevice, ObservedNeighbour
from inventory.models import FactSource
from inventory.schemas.common import nfc_deep

COMPOSED = "Sở Y tế Lào Cai"
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


def test_the_two_spellings_differ_as_bytes() -> None:
    assert COMPOSED != DECOMPOSED and unicodedata.normalize("NFC", DECOMPOSED) == COMPOSED


def test_an_agency_typed_decomposed_is_stored_composed(admin: TestClient) -> None:
    response = admin.post(
        "/api/v1/agencies",
        json={"name": DECOMPOSED, "kind": "department", "code": "SYT", "tags": [DECOMPOSED]},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == COMPOSED and body["tags"] == [COMPOSED]


def test_two_agencies_that_look_identical_collide(admin: TestClient) -> None:
    first = admin.post("/api/v1/agencies", json={"name": COMPOSED, "kind": "department", "code": "SYT"})
    assert first.status_code == 201, first.text
    code_nfd = unicodedata.normalize("NFD", "SỞ")
    admin.post("/api/v1/agencies", json={"name": "Sở A", "kind": "department", "code": "SỞ"})
    again = admin.post("/api/v1/agencies", json={"name": "Sở B", "kind": "department", "code": code_nfd})
    assert again.status_code == 409, again.text
    assert again.json()["field"] == "code"


def test_filters_and_search_find_both_spellings(admin: TestClient) -> None:
    admin.post("/api/v1/agencies", json={"name": DECOMPOSED, "kind": "department"})
    for spelling in (COMPOSED, DECOMPOSED):
        exact = admin.get("/api/v1/agencies", params={"name": spelling}).json()
        assert exact["count"] == 1, spelling
        search = admin.get("/api/v1/agencies", params={"q": spelling}).json()
        assert search["count"] == 1, spelling


def test_csv_import_names_a_composed_agency_with_decomposed_text(admin: TestClient) -> None:
    assert admin.post("/api/v1/agencies", json={"name": COMPOSED, "kind": "department"}).status_code == 201
    sheet = f"name,role,owner_agency,description\r\nsrv-01,server,{DECOMPOSED},{DECOMPOSED}\r\n"
    response = admin.post(
        "/api/v1/devices/import", content=sheet.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    device = admin.get("/api/v1/devices", params={"name": "srv-01"}).json()["results"][0]
    assert device["description"] == COMPOSED


def test_discovered_and_ssh_facts_are_composed() -> None:
    seen = ObservedDevice(FactSource.ssh, hostname=DECOMPOSED, model=DECOMPOSED, vendor=DECOMPOSED)
    assert seen.hostname == COMPOSED and seen.model == COMPOSED and seen.vendor == COMPOSED
    link = ObservedNeighbour("lldp", DECOMPOSED, DECOMPOSED, None, None, {DECOMPOSED: [DECOMPOSED]})
    assert link.name == COMPOSED and link.data == {COMPOSED: [COMPOSED]}


def test_one_normaliser_walks_nested_values() -> None:
    value = {"a": [DECOMPOSED, {DECOMPOSED: (DECOMPOSED, 1, None)}]}
    assert nfc_deep(value) == {"a": [COMPOSED, {COMPOSED: (COMPOSED, 1, None)}]}


def test_trap_text_is_composed() -> None:
    from pysnmp.proto import rfc1902

    from collectors.traps.receiver import plain_value

    assert plain_value(rfc1902.OctetString(DECOMPOSED.encode())) == COMPOSED
