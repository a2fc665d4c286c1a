"""Declarative base and the mixins every inventory object shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Dialect, MetaData, String, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from inventory.search import fold_all

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the zone; SQLite has no datetime type and hands back naive values, which the
    API would then print without an offset. Values are normalised to UTC on the way in and marked
    UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Tagged:
    """Free-form tags and typed custom fields (validated against CustomFieldDefinition)."""

    tags: Mapped[list[str]] = mapped_column(default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Searchable:
    """Keeps a folded copy of the columns named in `search_columns` for the `q` filter."""

    search_columns: ClassVar[tuple[str, ...]] = ("name",)
    search_text: Mapped[str] = mapped_column(String(2000), default="", index=False)

    def refresh_search_text(self) -> None:
        self.search_text = fold_all(getattr(self, column, None) for column in self.search_columns)[:2000]


class InventoryObject(Timestamped, Tagged):
    """Marker for objects whose changes go to the change log."""

    change_logged: ClassVar[bool] = True
    # Secret columns are never copied into the change log.
    change_log_exclude: ClassVar[frozenset[str]] = frozenset({"search_text"})


@event.listens_for(Base, "before_insert", propagate=True)
def _search_on_insert(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    if isinstance(target, Searchable):
        target.refresh_search_text()


@event.listens_for(Base, "before_update", propagate=True)
def _search_on_update(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    if isinstance(target, Searchable):
        target.refresh_search_text()
