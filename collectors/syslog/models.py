"""Tables of the syslog intake: recent messages (bounded, searchable), unknown senders, and the
addresses each administrator has signed in from (to notice a new one).

Registered in `inventory/model_registry.py` MODEL_MODULES; the migration is 0850.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow

# SQLite only makes an auto-increment key of INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class SyslogMessage(Base):
    """One received message: the header, the vendor's typed fields, the raw bytes as they came."""

    __tablename__ = "syslog_message"
    __table_args__ = (
        Index("ix_syslog_message_device_received", "device_id", "received_at"),
        Index("ix_syslog_message_event_received", "event", "received_at"),
        Index("ix_syslog_message_severity_received", "severity", "received_at"),
        # Ids are never reused, so that the SQLite search index (kept by the store, not by
        # triggers: they cost 5x the insert) never mistakes a new row for a pruned one.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True, doc="When we received it")
    device_time: Mapped[datetime | None] = mapped_column(doc="The time the device wrote in the header")
    source: Mapped[str] = mapped_column(String(45), index=True, doc="Address the message came from")
    source_port: Mapped[int | None]
    transport: Mapped[str] = mapped_column(String(4), doc="udp, tcp or tls")
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    resolved_by: Mapped[str | None] = mapped_column(
        String(20), doc="management_ip, interface_ip, hostname, serial"
    )
    header_format: Mapped[str] = mapped_column(String(8), doc="rfc5424, rfc3164 or raw")
    facility: Mapped[int] = mapped_column(SmallInteger)
    severity: Mapped[int] = mapped_column(SmallInteger, doc="0 emergency .. 7 debug")
    hostname: Mapped[str | None] = mapped_column(String(255))
    app_name: Mapped[str | None] = mapped_column(String(64))
    procid: Mapped[str | None] = mapped_column(String(128))
    msgid: Mapped[str | None] = mapped_column(String(32))
    vendor: Mapped[str | None] = mapped_column(String(32), doc="vendor of the format that parsed it")
    format: Mapped[str | None] = mapped_column(String(64), doc="format file (fortigate, paloalto ...)")
    event: Mapped[str | None] = mapped_column(String(64), doc="event name, e.g. admin_login_failed")
    message: Mapped[str] = mapped_column(Text, doc="the message text (MSG), undecodable bytes as \\xNN")
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    structured_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raw: Mapped[bytes] = mapped_column(LargeBinary, doc="the bytes as received (cut at max_message_bytes)")
    truncated: Mapped[bool] = mapped_column(default=False)
    search_text: Mapped[str] = mapped_column(String(2000), default="")


class SyslogUnknownSender(Base):
    """An address whose messages no inventory device matched: what an operator needs to add it."""

    __tablename__ = "syslog_unknown_sender"
    __table_args__ = (UniqueConstraint("source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(45))
    count: Mapped[int] = mapped_column(default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_hostname: Mapped[str | None] = mapped_column(String(255))
    last_vendor: Mapped[str | None] = mapped_column(String(32))
    last_message: Mapped[str] = mapped_column(String(1000), default="")


class SyslogLoginAddress(Base):
    """Addresses an account has signed in to a device from; a new one raises an event."""

    __tablename__ = "syslog_login_address"
    __table_args__ = (UniqueConstraint("device_id", "user", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    user: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(45))
    count: Mapped[int] = mapped_column(default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
