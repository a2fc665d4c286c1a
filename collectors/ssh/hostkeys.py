"""SSH host keys: trusted on first use and kept in the database; a changed key refuses the session.

The check runs inside paramiko's key exchange, before any password or key is sent, so a device
that impersonates another never sees our credentials.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import paramiko
from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.ssh.errors import HostKeyChanged
from collectors.ssh.models import KnownHostKey
from inventory.models.base import utcnow

# Host key algorithms paramiko may negotiate for a stored key type: pinning them makes the server
# show the same kind of key again, so a server that merely offers more types is not "changed".
ALGORITHMS_FOR_KEY_TYPE = {
    "ssh-rsa": ("ssh-rsa", "rsa-sha2-256", "rsa-sha2-512"),
    "ssh-ed25519": ("ssh-ed25519",),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
}


@dataclass(frozen=True, slots=True)
class HostKey:
    key_type: str
    key_base64: str

    @property
    def fingerprint(self) -> str:
        try:
            digest = hashlib.sha256(base64.b64decode(self.key_base64)).digest()
        except binascii.Error:
            return "SHA256:(not base64)"
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def describe(self) -> str:
        return f"{self.key_type} {self.fingerprint}"

    @classmethod
    def of(cls, key: paramiko.PKey) -> HostKey:
        return cls(key.get_name(), key.get_base64())


def disabled_host_key_algorithms(known: HostKey | None) -> dict[str, list[str]]:
    """paramiko `disabled_algorithms` that leave only the known key's type to negotiate."""
    if known is None or known.key_type not in ALGORITHMS_FOR_KEY_TYPE:
        return {}
    keep = set(ALGORITHMS_FOR_KEY_TYPE[known.key_type])
    others = {name for names in ALGORITHMS_FOR_KEY_TYPE.values() for name in names} - keep
    return {"keys": sorted(others)}


class TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
    """Remembers the key the server presented and refuses one that differs from `known`.

    The paramiko client is given no known keys, so this policy sees every key presented."""

    def __init__(self, label: str, known: HostKey | None) -> None:
        self.label = label
        self.known = known
        self.presented: HostKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        self.presented = HostKey.of(key)
        if self.known is not None and self.presented != self.known:
            raise HostKeyChanged(self.label, self.known.describe(), self.presented.describe())


def known_key(session: Session, host: str, port: int) -> HostKey | None:
    row = session.scalar(select(KnownHostKey).where(KnownHostKey.host == host, KnownHostKey.port == port))
    return HostKey(row.key_type, row.key_base64) if row else None


def trust(session: Session, host: str, port: int, key: HostKey, device_id: int | None) -> bool:
    """Records `key` for host:port (first use) or notes it was seen again; True when first seen."""
    row = session.scalar(select(KnownHostKey).where(KnownHostKey.host == host, KnownHostKey.port == port))
    now = utcnow()
    if row is None:
        session.add(
            KnownHostKey(
                host=host,
                port=port,
                key_type=key.key_type,
                key_base64=key.key_base64,
                fingerprint_sha256=key.fingerprint,
                device_id=device_id,
                first_seen=now,
                last_seen=now,
            )
        )
        return True
    if (row.key_type, row.key_base64) == (key.key_type, key.key_base64):
        row.last_seen = now
    return False


def forget(session: Session, host: str, port: int) -> bool:
    row = session.scalar(select(KnownHostKey).where(KnownHostKey.host == host, KnownHostKey.port == port))
    if row is None:
        return False
    session.delete(row)
    return True
