"""What the trap receiver needs to run: where to listen, which communities and SNMPv3 users to trust.

`TrapConfig` is the `trap` section of the service's settings tree (`EAMS_TRAP_*` environment
variables or `trap:` in the EAMS_CONFIG file); `TrapReceiverConfig.from_section` turns it into what
the receiver runs with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)

AuthProtocol = Literal["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"]
# AES192/AES256 extend keys as net-snmp does (Blumenthal draft); AES192C/AES256C as Cisco does (Reeder).
PrivProtocol = Literal["AES", "AES128", "AES192", "AES256", "AES192C", "AES256C", "DES"]
_HEX = re.compile(r"^(0x)?([0-9a-fA-F]{10,64})$")


def normalise_engine_id(value: str) -> str:
    """An SNMP engine id as lowercase hex without `0x` (5 to 32 octets, RFC 3411)."""
    match = _HEX.match(value.strip().replace(":", ""))
    if not match or len(match.group(2)) % 2:
        raise ValueError(f"{value!r} is not an engine id: 10 to 64 hex digits, e.g. 0x8000000001020304")
    return match.group(2).lower()


class TrapV3User(BaseModel):
    """One SNMPv3 USM user that may send traps and informs.

    Traps (unconfirmed) are authenticated with keys localised to the SENDER's engine id, so each
    sender's engine id must be listed in `engine_ids`; informs use the receiver's own engine id,
    which the sender discovers, so they need no entry here.
    """

    model_config = ConfigDict(extra="forbid")

    user: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    auth_protocol: AuthProtocol | None = "SHA"
    auth_key: SecretStr | None = None
    priv_protocol: PrivProtocol | None = "AES"
    priv_key: SecretStr | None = None
    engine_ids: list[str] = Field(default_factory=list, description="Engine ids of the senders of traps")

    @field_validator("engine_ids")
    @classmethod
    def _engine_ids(cls, values: list[str]) -> list[str]:
        return [normalise_engine_id(value) for value in values]

    @field_validator("auth_key", "priv_key")
    @classmethod
    def _key_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 8:
            raise ValueError("an SNMPv3 key needs at least 8 characters (RFC 3414)")
        return value

    @model_validator(mode="after")
    def _complete(self) -> TrapV3User:
        if self.auth_protocol and self.auth_key is None:
            raise ValueError(
                f"SNMPv3 user {self.user!r}: auth_protocol {self.auth_protocol} needs an auth_key"
            )
        if self.priv_protocol and self.priv_key is None:
            raise ValueError(
                f"SNMPv3 user {self.user!r}: priv_protocol {self.priv_protocol} needs a priv_key"
            )
        if self.priv_protocol and not self.auth_protocol:
            raise ValueError(f"SNMPv3 user {self.user!r}: privacy needs authentication too")
        return self


def parse_listen(value: str, default_port: int = 162) -> tuple[str, int]:
    """`host:port`, `host` or `[v6]:port` into (host, port); a clear ValueError otherwise."""
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
        raise ValueError(f"trap listen address {value!r}: the port must be a number") from None
    if not host or not 0 <= port <= 65535:
        raise ValueError(f"trap listen address {value!r} must look like 0.0.0.0:162 or 127.0.0.1:16200")
    return host, port


@dataclass(frozen=True)
class TrapReceiverConfig:
    host: str = "0.0.0.0"
    port: int = 162
    communities: tuple[str, ...] = ()
    v3_users: tuple[TrapV3User, ...] = ()
    # Our own engine id (hex); informs are authenticated against it. None: pysnmp makes one.
    engine_id: str | None = None
    # Extra mapping files (*.yaml) on top of the ones shipped in collectors/traps/mappings/.
    mappings_dirs: tuple[Path, ...] = ()
    history_days: float = 30.0
    history_max_rows: int = 100_000
    queue_size: int = 10_000

    @classmethod
    def from_section(cls, section: TrapConfig) -> TrapReceiverConfig | None:
        """The receiver's configuration, or None when `listen` is unset (receiver off)."""
        if not section.listen:
            return None
        host, port = parse_listen(section.listen)
        return cls(
            host=host,
            port=port,
            communities=tuple(secret.get_secret_value() for secret in section.communities),
            v3_users=tuple(section.v3_users),
            engine_id=normalise_engine_id(section.engine_id) if section.engine_id else None,
            mappings_dirs=(section.mappings_dir,) if section.mappings_dir else (),
            history_days=section.history_days,
            history_max_rows=section.history_max_rows,
        )


class TrapConfig(BaseModel):
    """Off unless `listen` is set, so that a default `eams serve` needs no root."""

    model_config = ConfigDict(extra="ignore")

    listen: str | None = Field(default=None, description="host:port for traps, e.g. 0.0.0.0:162")
    communities: list[SecretStr] = Field(default_factory=list, description="v1/v2c communities")
    v3_users: list[TrapV3User] = Field(default_factory=list, description="SNMPv3 trap users")
    engine_id: str | None = Field(default=None, description="Receiver engine id (hex) for informs")
    mappings_dir: Path | None = Field(default=None, description="Extra trap mapping files (*.yaml)")
    history_days: float = Field(default=30.0, gt=0, description="How long received traps are kept")
    history_max_rows: int = Field(default=100_000, ge=100, description="At most this many kept")

    @field_validator("listen")
    @classmethod
    def _listen_address(cls, value: str | None) -> str | None:
        if value:
            parse_listen(value)  # raises a ValueError that names the problem
        return value
