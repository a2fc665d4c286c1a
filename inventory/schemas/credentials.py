"""Credentials profiles. Secrets are accepted on write and never given back."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, StringConstraints, model_validator

from inventory.models.enums import CredentialKind, SnmpAuthProtocol, SnmpPrivProtocol
from inventory.schemas.common import Description, ObjectId, ShortText, Stored, Tagging, partial

Secret = Annotated[SecretStr, Field(min_length=1, max_length=8192)]
SnmpKey = Annotated[
    SecretStr, Field(min_length=8, max_length=256, description="At least 8 characters (RFC 3414)")
]


class CredentialsCreate(Tagging):
    name: ShortText
    kind: CredentialKind
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    username: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    auth_protocol: SnmpAuthProtocol | None = None
    priv_protocol: SnmpPrivProtocol | None = None
    context: Annotated[str, StringConstraints(max_length=100)] | None = None
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 2.0
    retries: Annotated[int, Field(ge=0, le=10)] = 1
    description: Description | None = None
    owner_agency_id: ObjectId | None = Field(
        None, description="The agency whose devices may use it; empty: shared, bound only by admins"
    )
    # Write-only secrets
    community: Annotated[SecretStr, Field(min_length=1, max_length=255)] | None = None
    auth_key: SnmpKey | None = None
    priv_key: SnmpKey | None = None
    password: Secret | None = None
    private_key: Secret | None = None
    enable_secret: Secret | None = None

    @model_validator(mode="after")
    def _complete_for_kind(self) -> CredentialsCreate:
        problem = completeness_problem(
            self.kind,
            username=self.username,
            auth_protocol=self.auth_protocol,
            priv_protocol=self.priv_protocol,
            secrets={name for name in SECRET_NAMES if getattr(self, name) is not None},
        )
        if problem:
            raise ValueError(problem)
        return self


SECRET_NAMES = ("community", "auth_key", "priv_key", "password", "private_key", "enable_secret")


def completeness_problem(
    kind: CredentialKind,
    *,
    username: str | None,
    auth_protocol: SnmpAuthProtocol | None,
    priv_protocol: SnmpPrivProtocol | None,
    secrets: set[str],
) -> str | None:
    """What a profile of this kind still lacks, in words; None when it can be used."""
    if kind in (CredentialKind.snmp_v1, CredentialKind.snmp_v2c):
        return None if "community" in secrets else f"{kind.value} needs a community"
    if kind is CredentialKind.snmp_v3:
        if not username:
            return "snmp_v3 needs a username"
        if priv_protocol and not auth_protocol:
            return "snmp_v3 privacy (priv_protocol) needs authentication (auth_protocol) too"
        if auth_protocol and "auth_key" not in secrets:
            return "snmp_v3 with auth_protocol needs an auth_key"
        if priv_protocol and "priv_key" not in secrets:
            return "snmp_v3 with priv_protocol needs a priv_key"
        return None
    if not username:
        return "ssh needs a username"
    if not secrets & {"password", "private_key"}:
        return "ssh needs a password or a private_key"
    return None


# partial() copies fields, not validators: completeness of an update is checked on the merged profile.
CredentialsUpdate = partial(CredentialsCreate)


class CredentialsRead(Stored):
    name: str
    kind: CredentialKind
    port: int | None
    username: str | None
    auth_protocol: SnmpAuthProtocol | None
    priv_protocol: SnmpPrivProtocol | None
    context: str | None
    timeout_s: float
    retries: int
    description: str | None
    owner_agency_id: int | None = None
    secrets_set: list[str] = Field(
        default_factory=list, description="Names of the secrets stored (their values are never returned)"
    )
