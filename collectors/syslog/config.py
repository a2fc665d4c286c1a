"""What the syslog intake needs to run: where to listen, TLS material, bounds and retention.

A pydantic section of the service's settings (`EAMS_SYSLOG_*`, or `syslog:` in the `EAMS_CONFIG`
file); a remote collector builds one from its own settings. Off unless `listen` or `tls_listen`
is set, so a default service binds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Transport = Literal["udp", "tcp"]


def parse_address(value: str, default_port: int) -> tuple[str, int]:
    """`host:port`, `host` or `[v6]:port` into (host, port); a ValueError naming the problem."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    try:
        port = int(port_text) if port_text else default_port
    except ValueError:
        raise ValueError(f"{value!r}: the port must be a number") from None
    if not host or not 0 <= port <= 65535:
        raise ValueError(f"{value!r} must look like 0.0.0.0:514 or 127.0.0.1:5514")
    return host, port


class SyslogConfig(BaseModel):
    """Settings of the syslog intake (collectors/syslog/README.md lists each with its default)."""

    model_config = ConfigDict(extra="forbid")

    listen: str | None = Field(
        default=None, description="host:port for plain syslog (UDP and TCP), e.g. 0.0.0.0:514; unset = off"
    )
    transports: list[Transport] = Field(
        default_factory=lambda: list[Transport](["udp", "tcp"]),
        description="which plain transports `listen` opens",
    )
    tls_listen: str | None = Field(
        default=None, description="host:port for syslog over TLS, e.g. 0.0.0.0:6514"
    )
    tls_cert_file: Path | None = Field(
        default=None, description="PEM certificate (chain) of the TLS listener"
    )
    tls_key_file: Path | None = Field(default=None, description="PEM private key of the TLS listener")
    tls_ca_file: Path | None = Field(
        default=None, description="CA bundle; when set, senders must present a certificate it signed"
    )
    formats_dir: Path | None = Field(default=None, description="extra vendor format files (*.yaml)")
    max_message_bytes: int = Field(
        default=65_536, ge=480, le=1 << 20, description="longer messages are cut there and counted"
    )
    queue_size: int = Field(default=50_000, ge=100, description="messages waiting to be parsed and stored")
    source_rate: float = Field(
        default=5_000.0,
        gt=0,
        description="messages per second accepted from one address (UDP); the rest dropped",
    )
    source_burst: int = Field(default=20_000, ge=1, description="burst above source_rate from one address")
    max_connections: int = Field(default=2_000, ge=1, description="open TCP/TLS connections at most")
    idle_timeout_s: float = Field(default=900.0, gt=0, description="a silent TCP/TLS connection is closed")
    history_days: float = Field(default=14.0, gt=0, description="how long messages are kept")
    history_max_rows: int = Field(default=2_000_000, ge=1_000, description="at most this many kept")
    batch_size: int = Field(default=1_000, ge=1, le=20_000, description="messages stored per transaction")
    counts_interval_s: float = Field(default=60.0, gt=0, description="period of the `syslog` count points")
    backup_on_config_change: bool = Field(
        default=True, description="a configuration-change message asks the SSH collector for a backup"
    )
    backup_min_interval_s: float = Field(
        default=120.0, ge=0, description="at most one triggered backup per device in this time"
    )
    legacy_timezone: str = Field(
        default="Asia/Ho_Chi_Minh",
        description="zone of an RFC 3164 time that names none (the device's local time), e.g. UTC",
    )
    backup_wait_s: float = Field(
        default=180.0, gt=0, description="how long a configuration change waits for its backup's diff"
    )

    @field_validator("legacy_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as Asia/Ho_Chi_Minh or UTC") from None
        return value

    @property
    def legacy_zone(self) -> ZoneInfo:
        return ZoneInfo(self.legacy_timezone)

    @field_validator("listen", "tls_listen")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value:
            parse_address(value, 514)
        return value or None

    @model_validator(mode="after")
    def _tls_complete(self) -> SyslogConfig:
        if self.tls_listen and (self.tls_cert_file is None or self.tls_key_file is None):
            raise ValueError("tls_listen needs tls_cert_file and tls_key_file")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.listen or self.tls_listen)

    def plain_address(self) -> tuple[str, int] | None:
        return parse_address(self.listen, 514) if self.listen else None

    def tls_address(self) -> tuple[str, int] | None:
        return parse_address(self.tls_listen, 6514) if self.tls_listen else None
