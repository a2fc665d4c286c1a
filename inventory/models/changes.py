"""The change log (who changed what, when, with before/after) and typed custom fields."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow


class ChangeAction(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


class ObjectChange(Base):
    __tablename__ = "object_change"
    __table_args__ = (Index("ix_object_change_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(150))
    action: Mapped[ChangeAction] = mapped_column(Enum(ChangeAction, native_enum=False, length=10))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int]
    object_repr: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))


class CustomFieldType(StrEnum):
    text = "text"
    integer = "integer"
    decimal = "decimal"
    boolean = "boolean"
    date = "date"
    select = "select"
    url = "url"


class CustomFieldDefinition(Base):
    """Declares a custom field on one object type; values are checked against it on write."""

    __tablename__ = "custom_field"
    __table_args__ = (Index("uq_custom_field_object_name", "object_type", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(50))
    label: Mapped[str | None] = mapped_column(String(100))
    type: Mapped[CustomFieldType] = mapped_column(Enum(CustomFieldType, native_enum=False, length=10))
    required: Mapped[bool] = mapped_column(default=False)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
