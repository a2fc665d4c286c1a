"""Administrative units and agencies, with validity dates and successors (the 2025 mergers)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.enums import AgencyKind


class Agency(Base, InventoryObject, Searchable):
    """A province, department/board, district, commune or unit: owner and user of IT assets."""

    __tablename__ = "agency"
    search_columns = ("name", "short_name", "code", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(Enum(AgencyKind, native_enum=False, length=20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(String(2000))

    parent: Mapped[Agency | None] = relationship(
        remote_side="Agency.id", foreign_keys=[parent_id], lazy="raise"
    )

    def __str__(self) -> str:
        return self.name
