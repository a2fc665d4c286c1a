"""Sites (data center, DR site, server rooms), locations inside them, racks."""

from __future__ import annotations

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.enums import SiteKind


class Site(Base, InventoryObject, Searchable):
    __tablename__ = "site"
    search_columns = ("name", "code", "address", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    kind: Mapped[SiteKind] = mapped_column(Enum(SiteKind, native_enum=False, length=20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class Location(Base, InventoryObject, Searchable):
    """A room, cage or floor inside a site."""

    __tablename__ = "location"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name


class Rack(Base, InventoryObject, Searchable):
    __tablename__ = "rack"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100))
    u_height: Mapped[int] = mapped_column(default=42)
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return self.name
