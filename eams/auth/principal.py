"""Who is calling and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from inventory.models.enums import Role


class Permission(StrEnum):
    read = "read"  # read the inventory and architecture
    write = "write"  # change the inventory and architecture
    read_secrets_meta = "read_secrets_meta"  # see credentials profiles (never their secrets)
    manage_credentials = "manage_credentials"
    manage_tokens = "manage_tokens"
    read_alerts = "read_alerts"
    ack_operational = "ack_operational"  # acknowledge operational alerts
    ack_security = "ack_security"  # acknowledge security alerts
    manage_alerting = "manage_alerting"  # rules, silences, routes
    collect = "collect"  # remote collectors: fetch targets, post samples
    configure = "configure"  # custom field definitions and other schema-level settings


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.operator: frozenset(
        {
            Permission.read,
            Permission.write,
            Permission.read_secrets_meta,
            Permission.read_alerts,
            Permission.ack_operational,
            Permission.manage_alerting,
        }
    ),
    Role.security: frozenset(
        {Permission.read, Permission.read_alerts, Permission.ack_security, Permission.manage_alerting}
    ),
    Role.planner: frozenset({Permission.read}),
    Role.collector: frozenset({Permission.collect}),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. `agency_ids` is None for an unscoped token."""

    name: str
    role: Role
    token_id: int | None = None
    agency_ids: frozenset[int] | None = field(default=None)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def actor(self) -> str:
        """How the change log names this caller."""
        return f"token:{self.name}" if self.token_id is not None else self.name
