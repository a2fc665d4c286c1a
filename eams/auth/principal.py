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


class Restriction(StrEnum):
    """What a signed-in person must do before the session may do anything else."""

    password_change = "password_change"  # an admin set the password: choose your own
    mfa_enrolment = "mfa_enrolment"  # the role requires MFA and none is enrolled yet


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, the same object whether a bearer token or a person's session
    made the request, so every role and scope check applies unchanged. `agency_ids` is None when
    unscoped. A session sets `user_id` and `session_id`; a token sets `token_id`."""

    name: str
    role: Role
    token_id: int | None = None
    agency_ids: frozenset[int] | None = field(default=None)
    user_id: int | None = None
    session_id: int | None = None
    restrictions: frozenset[Restriction] = frozenset()

    def can(self, permission: Permission) -> bool:
        if self.restrictions:
            return False
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def actor(self) -> str:
        """How the change log and the audit log name this caller."""
        if self.token_id is not None:
            return f"token:{self.name}"
        if self.user_id is not None:
            return f"user:{self.name}"
        return self.name

    @property
    def via_session(self) -> bool:
        return self.session_id is not None
