"""Information systems, the public services they deliver, where they run, their data and integrations."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.organization import Agency


class SystemCategory(StrEnum):
    portal = "portal"  # Cổng thông tin điện tử
    public_services = "public_services"  # Cổng dịch vụ công, HTTT giải quyết TTHC
    one_stop_shop = "one_stop_shop"  # Một cửa điện tử
    document_management = "document_management"  # Quản lý văn bản và điều hành
    integration_platform = "integration_platform"  # LGSP
    email = "email"
    video_conferencing = "video_conferencing"
    sector_database = "sector_database"
    sector_application = "sector_application"
    infrastructure = "infrastructure"  # data center, SOC, private network, EAMS itself
    security = "security"
    other = "other"


class SystemScope(StrEnum):
    province = "province"  # dùng chung toàn tỉnh
    sector = "sector"  # chuyên ngành
    agency = "agency"  # one agency only


class SystemLifecycle(StrEnum):
    plan = "plan"
    phase_in = "phase_in"
    active = "active"
    phase_out = "phase_out"
    retired = "retired"


class TimeAssessment(StrEnum):
    """Gartner's TIME portfolio rating."""

    tolerate = "tolerate"
    invest = "invest"
    migrate = "migrate"
    eliminate = "eliminate"


system_user_table = Table(
    "information_system_user",
    Base.metadata,
    Column("system_id", ForeignKey("information_system.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)


class InformationSystem(Base, InventoryObject, Searchable):
    __tablename__ = "information_system"
    search_columns = ("name", "code", "vendor", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    category: Mapped[SystemCategory] = mapped_column(Enum(SystemCategory, native_enum=False, length=30))
    scope: Mapped[SystemScope] = mapped_column(Enum(SystemScope, native_enum=False, length=20))
    # A component (subsystem) of a larger system: the parent's security level covers its components.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_system.id", ondelete="RESTRICT"), index=True
    )
    owner_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    operating_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    vendor: Mapped[str | None] = mapped_column(String(255))
    lifecycle: Mapped[SystemLifecycle] = mapped_column(
        Enum(SystemLifecycle, native_enum=False, length=20), default=SystemLifecycle.active
    )
    planned_on: Mapped[date | None]
    phase_in_on: Mapped[date | None]
    active_on: Mapped[date | None]
    phase_out_on: Mapped[date | None]
    retired_on: Mapped[date | None]
    user_count: Mapped[int | None]
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("framework_version.id", ondelete="SET NULL"))
    reference_codes: Mapped[list[str]] = mapped_column(default=list)
    time_assessment: Mapped[TimeAssessment | None] = mapped_column(
        Enum(TimeAssessment, native_enum=False, length=20)
    )
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(2000))

    using_agencies: Mapped[list[Agency]] = relationship(
        secondary=system_user_table, lazy="selectin", order_by=Agency.id
    )

    @property
    def using_agency_ids(self) -> list[int]:
        return sorted(agency.id for agency in self.using_agencies)

    def __str__(self) -> str:
        return self.name


class PublicService(Base, InventoryObject, Searchable):
    """An administrative procedure offered online (thủ tục hành chính / dịch vụ công)."""

    __tablename__ = "public_service"
    search_columns = ("name", "code", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    online_level: Mapped[str | None] = mapped_column(
        String(20), doc="full_online / partial_online (formerly levels 1-4)"
    )
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class Environment(StrEnum):
    production = "production"
    dr = "dr"
    test = "test"


class Deployment(Base, InventoryObject, Searchable):
    """Where a system runs: a physical device, a virtual machine on a host, or a leased cloud service."""

    __tablename__ = "deployment"
    search_columns = ("vm_name", "cloud_service", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(
        ForeignKey("information_system.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[Environment] = mapped_column(Enum(Environment, native_enum=False, length=20))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="RESTRICT"), index=True)
    vm_name: Mapped[str | None] = mapped_column(String(255))
    cloud_service: Mapped[str | None] = mapped_column(String(255), doc="leased service, e.g. Viettel Cloud")
    component: Mapped[str | None] = mapped_column(String(100), doc="web, application, database ...")
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        where = self.vm_name or self.cloud_service or f"device {self.device_id}"
        return f"system {self.system_id} on {where} ({self.environment.value})"


class DataClassification(StrEnum):
    public = "public"  # công khai
    shared = "shared"  # dùng chung
    restricted = "restricted"  # hạn chế chia sẻ
    confidential = "confidential"  # mật


class DataObject(Base, InventoryObject, Searchable):
    """A data set or database, with the agency that stewards it."""

    __tablename__ = "data_object"
    search_columns = ("name", "code", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20), default="dataset", doc="dataset or database")
    steward_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    system_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_system.id", ondelete="SET NULL"), index=True
    )
    classification: Mapped[DataClassification] = mapped_column(
        Enum(DataClassification, native_enum=False, length=20), default=DataClassification.shared
    )
    reference_codes: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class IntegrationChannel(StrEnum):
    lgsp = "lgsp"  # the provincial platform
    ndxp = "ndxp"  # the national data exchange platform
    national_document_axis = "national_document_axis"  # trục liên thông văn bản quốc gia
    direct = "direct"


integration_data_table = Table(
    "integration_data_object",
    Base.metadata,
    Column("integration_id", ForeignKey("integration.id", ondelete="CASCADE"), primary_key=True),
    Column("data_object_id", ForeignKey("data_object.id", ondelete="CASCADE"), primary_key=True),
)


class Integration(Base, InventoryObject, Searchable):
    __tablename__ = "integration"
    search_columns = ("name", "external_party", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    source_system_id: Mapped[int] = mapped_column(
        ForeignKey("information_system.id", ondelete="CASCADE"), index=True
    )
    # The target is one of ours, or a national system outside the inventory (`external_party`).
    target_system_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_system.id", ondelete="CASCADE"), index=True
    )
    external_party: Mapped[str | None] = mapped_column(
        String(255), doc="Cổng Dịch vụ công quốc gia, Trục liên thông văn bản quốc gia ..."
    )
    channel: Mapped[IntegrationChannel] = mapped_column(
        Enum(IntegrationChannel, native_enum=False, length=30)
    )
    status: Mapped[SystemLifecycle] = mapped_column(
        Enum(SystemLifecycle, native_enum=False, length=20), default=SystemLifecycle.active
    )
    description: Mapped[str | None] = mapped_column(String(2000))

    data_objects: Mapped[list[DataObject]] = relationship(
        secondary=integration_data_table, lazy="selectin", order_by=DataObject.id
    )

    @property
    def data_object_ids(self) -> list[int]:
        return sorted(item.id for item in self.data_objects)

    def __str__(self) -> str:
        return self.name
