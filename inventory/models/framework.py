"""The national e-Government architecture framework: versions and their reference-model nodes.

Each version (v2.0 of 2019, v3.0 of 2023, v4.0 "Khung kiến trúc Chính phủ số" of 2025 ...) has five
reference models (BRM, DRM, ARM, TRM, SRM), each a tree of coded nodes that systems map to.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, InventoryObject, Searchable


class ReferenceModel(StrEnum):
    brm = "BRM"  # business
    drm = "DRM"  # data
    arm = "ARM"  # application
    trm = "TRM"  # technology
    srm = "SRM"  # security


class FrameworkVersion(Base, InventoryObject, Searchable):
    __tablename__ = "framework_version"
    search_columns = ("code", "name", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, doc="v3.0, v4.0 ...")
    name: Mapped[str] = mapped_column(String(255))
    issued_by: Mapped[str | None] = mapped_column(String(255))
    issued_on: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ReferenceModelNode(Base, InventoryObject, Searchable):
    __tablename__ = "reference_model_node"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)
    search_columns = ("code", "name", "description")

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("framework_version.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[ReferenceModel] = mapped_column(Enum(ReferenceModel, native_enum=False, length=5))
    code: Mapped[str] = mapped_column(String(50), doc="ARM.02.01: the model is the prefix by convention")
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("reference_model_node.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str | None] = mapped_column(String(2000))

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
