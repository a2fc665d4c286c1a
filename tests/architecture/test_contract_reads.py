"""Reading contracts through the API: the devices and systems each covers come back as id lists,
read from the association tables, never as a load of every covered device (a province-wide support
contract covers thousands); writing the lists still works as before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from eams.services import Services
from tests.architecture.conftest import Example


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)


def test_the_contract_list_gives_the_covered_ids_without_loading_the_covered_rows(
    example: Example, services: Services
) -> None:
    esx = [example.id_of("devices", name=f"dc-esx-0{n}") for n in (1, 2, 3, 4)]
    with statements(services) as seen:
        listed = example.get("contracts", ordering="code")
    by_code = {c["code"]: c for c in listed["results"]}
    assert by_code["HĐ-05/2024/TTCDS"]["device_ids"] == sorted(esx)
    assert by_code["HĐ-02/2024/VP"]["device_ids"] == []
    assert by_code["HĐ-02/2024/VP"]["system_ids"] == [example.id_of("information-systems", code="GBTT")]
    # A load of covered rows goes through an association table; the service's own background work
    # (the poller reloading its targets, the alert engine its directory) reads devices on the same
    # engine at any moment and is not what this test is about (it made the test fail 1 run in 3).
    loaded_rows = [
        s
        for s in seen
        if ("device.serial" in s or "information_system.code" in s)
        and ("contract_device" in s or "contract_system" in s)
    ]
    assert loaded_rows == []


def test_changing_a_contracts_devices_answers_and_stores_the_new_list(example: Example) -> None:
    contract = example.id_of("contracts", code="HĐ-07/2024/TTCDS")
    firewall = example.id_of("devices", name="dc-fw-01")
    answer = example.client.patch(f"/api/v1/contracts/{contract}", json={"device_ids": [firewall]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["device_ids"] == [firewall]
    assert example.get(f"contracts/{contract}")["device_ids"] == [firewall]
