"""Credentials profiles used to poll devices; their secrets are encrypted at rest."""

from __future__ import annotations

from sqlalchemy import Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.models.base import Base, InventoryObject, Searchable
from inventory.models.enums import CredentialKind, SnmpAuthProtocol, SnmpPrivProtocol

# Names of the secret values a profile may hold; they live only inside `secrets_encrypted`.
SECRET_FIELDS = ("community", "auth_key", "priv_key", "password", "private_key", "enable_secret")


class CredentialsProfile(Base, InventoryObject, Searchable):
    __tablename__ = "credentials_profile"
    change_log_exclude = frozenset({"search_text", "secrets_encrypted"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[CredentialKind] = mapped_column(Enum(CredentialKind, native_enum=False, length=20))
    # SNMP
    port: Mapped[int | None]
    username: Mapped[str | None] = mapped_column(String(100), doc="SNMPv3 user or SSH login")
    auth_protocol: Mapped[SnmpAuthProtocol | None] = mapped_column(
        Enum(SnmpAuthProtocol, native_enum=False, length=10)
    )
    priv_protocol: Mapped[SnmpPrivProtocol | None] = mapped_column(
        Enum(SnmpPrivProtocol, native_enum=False, length=10)
    )
    context: Mapped[str | None] = mapped_column(String(100))
    timeout_s: Mapped[float] = mapped_column(default=2.0)
    retries: Mapped[int] = mapped_column(default=1)
    # Fernet token of a JSON object {secret name: value}; see inventory.secretbox.SecretBox.
    secrets_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    description: Mapped[str | None] = mapped_column(String(2000))
    # The agency whose devices may use this profile; None: shared, and only admins bind it.
    owner_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )

    def __str__(self) -> str:
        return self.name
