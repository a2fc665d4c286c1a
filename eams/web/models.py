"""The web application's own table: saved filters of the device list (a name for a query string,
per person or token)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow


class SavedFilter(Base):
    """`owner` is `user:<id>` or `token:<id>` (the principal, not its name: names are reused);
    `page` is the list it belongs to (`/devices`), `query` its query string without paging."""

    __tablename__ = "web_saved_filter"
    __table_args__ = (UniqueConstraint("owner", "page", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))  # first in the unique key: its index serves lookups
    page: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
