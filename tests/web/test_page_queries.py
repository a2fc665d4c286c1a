"""What the pages read from the database: the rows they show, not everything those rows refer to
(the web benchmark's figures depend on it; the answers are the same as before)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from eams.services import Services
from inventory.models import Agency, Device, InformationSystem
from tests.web.conftest import SignIn


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


def loads_covered(seen: list[str], table: str, column: str) -> bool:
    """Whether a statement loaded the full rows a contract covers (its eager `devices`/`systems`)."""
    return any(table in s and column in s and s.lstrip().upper().startswith("SELECT") for s in seen)


def test_a_device_page_lists_its_contracts_without_loading_every_device_they_cover(
    sign_in: SignIn, example_services: Services
) -> None:
    with example_services.db.session() as session:
        esx = session.scalar(select(Device.id).where(Device.name == "dc-esx-03"))
    client = sign_in("planner")
    with statements(example_services) as seen:
        html = client.get(f"/devices/{esx}").text
    assert "Bảo trì hệ thống máy chủ ảo hóa" in html and "Mua sắm thiết bị Trung tâm dữ liệu" in html
    assert not loads_covered(seen, "contract_device", "device.serial")


def test_a_system_page_and_an_agency_page_list_contracts_without_what_they_cover(
    sign_in: SignIn, example_services: Services
) -> None:
    with example_services.db.session() as session:
        system = session.scalar(select(InformationSystem.id).where(InformationSystem.code == "GBTT"))
        agency = session.scalar(select(Agency.id).where(Agency.code == "SL.TTCDS"))
    client = sign_in("planner")
    with statements(example_services) as seen:
        system_html = client.get(f"/systems/{system}").text
        agency_html = client.get(f"/agencies/{agency}").text
    assert "Thuê dịch vụ hội nghị truyền hình trực tuyến" in system_html
    assert "Bản quyền VMware vSphere" in agency_html
    assert not loads_covered(seen, "contract_system", "information_system.code")
    assert not loads_covered(seen, "contract_device", "device.serial")
