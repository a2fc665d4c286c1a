"""A parsed message as it is stored and forwarded: plain data, JSON both ways (remote collectors
send records to the service through their uplink)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from inventory.search import fold

SEARCH_CHARS = 2_000


@dataclass(slots=True)
class SyslogRecord:
    received_ns: int
    source: str
    source_port: int | None
    transport: str
    raw: bytes
    truncated: bool
    header_format: str
    facility: int
    severity: int
    message: str
    device_time: datetime | None = None
    hostname: str | None = None
    app_name: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: dict[str, dict[str, str]] = field(default_factory=dict)
    vendor: str | None = None
    format: str | None = None
    event: str | None = None
    event_labels: dict[str, str] = field(default_factory=dict)  # user, src_ip, tunnel ... of the event
    fields: dict[str, Any] = field(default_factory=dict)
    device_id: int | None = None
    device_name: str | None = None
    resolved_by: str | None = None
    # Names and serials the message carried, kept so that the service can resolve again.
    hostnames: list[str] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)

    @property
    def received_at(self) -> datetime:
        return datetime.fromtimestamp(self.received_ns / 1e9, UTC)

    def search_text(self) -> str:
        """Folded (diacritics and case ignored) text for `q`: names, event and the message."""
        # One fold of the joined text: the same as folding each part (folding is per character
        # and per word), a fifth of the calls.
        parts = (self.device_name, self.hostname, self.app_name, self.vendor, self.event, self.message[:1500])
        return fold(" ".join(part for part in parts if part))[:SEARCH_CHARS]

    def row(self) -> dict[str, Any]:
        """The `syslog_message` row."""
        return {
            "received_at": self.received_at,
            "device_time": self.device_time,
            "source": self.source[:45],
            "source_port": self.source_port,
            "transport": self.transport,
            "device_id": self.device_id,
            "resolved_by": self.resolved_by,
            "header_format": self.header_format,
            "facility": self.facility,
            "severity": self.severity,
            "hostname": _cut(self.hostname, 255),
            "app_name": _cut(self.app_name, 64),
            "procid": _cut(self.procid, 128),
            "msgid": _cut(self.msgid, 32),
            "vendor": self.vendor,
            "format": self.format,
            "event": self.event,
            "message": self.message,
            "fields": self.fields,
            "structured_data": self.structured_data,
            "raw": self.raw,
            "truncated": self.truncated,
            "search_text": self.search_text(),
        }

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["raw"] = base64.b64encode(self.raw).decode()
        data["device_time"] = self.device_time.isoformat() if self.device_time else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyslogRecord:
        """A record another process sent (a remote collector): every field checked; ValueError
        naming the field otherwise."""
        values = dict(data)
        try:
            values["raw"] = base64.b64decode(values.get("raw") or "", validate=True)
        except (binascii.Error, TypeError):
            raise ValueError("raw: not base64") from None
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]}: not a field of a syslog record")
        try:
            record = _ADAPTER.validate_python(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"{where}: {first['msg']}") from None
        if not (0 <= record.severity <= 7 and 0 <= record.facility <= 23):
            raise ValueError("severity must be 0..7 and facility 0..23")
        return record


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value else value


_ADAPTER = TypeAdapter(SyslogRecord)
