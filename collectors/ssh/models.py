"""Tables of the SSH collector: trusted host keys, configuration versions, backup health and
the last raw output of each command (kept beside its parsed form)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, utcnow


class KnownHostKey(Base):
    """The SSH host key trusted on first use for one address and port."""

    __tablename__ = "known_host_key"
    __table_args__ = (UniqueConstraint("host", "port"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]
    key_type: Mapped[str] = mapped_column(String(50))
    key_base64: Mapped[str] = mapped_column(Text)
    fingerprint_sha256: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class ConfigVersion(Base):
    """One stored (redacted) configuration of a device; a new row only when its hash changes."""

    __tablename__ = "config_version"
    __table_args__ = (UniqueConstraint("device_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(doc="1, 2, 3 ... per device")
    sha256: Mapped[str] = mapped_column(String(64))
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    command: Mapped[str] = mapped_column(String(255))
    platform: Mapped[str] = mapped_column(String(50))
    redacted_secrets: Mapped[int] = mapped_column(default=0)
    lines: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)


class ConfigBackupState(Base):
    """Backup health per device, to say "no successful backup in 24 h" once, not on every try."""

    __tablename__ = "config_backup_state"

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(2000))
    alerted_at: Mapped[datetime | None]


class CommandOutput(Base):
    """The latest raw output of one command on one device, beside what the parser made of it."""

    __tablename__ = "command_output"
    __table_args__ = (
        UniqueConstraint("device_id", "command"),
        Index("ix_command_output_device", "device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(50), doc="version, inventory, interfaces, neighbours ...")
    command: Mapped[str] = mapped_column(String(255))
    raw: Mapped[str] = mapped_column(Text)
    parsed: Mapped[list[Any] | None] = mapped_column(JSON)
    parser: Mapped[str | None] = mapped_column(String(255))
    parser_version: Mapped[str | None] = mapped_column(String(50))
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)
