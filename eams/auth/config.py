"""How people sign in: sessions, passwords, throttling, MFA, LDAP and the audit log's retention.

The `auth` section of the settings (`EAMS_AUTH_<FIELD>`, or `auth:` in the EAMS_CONFIG file).
Every default is safe for a first start; the README's "Accounts and sign-in" lists them all.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from inventory.models.enums import Role


class LdapGroupMapping(BaseModel):
    """Members of `group` (its DN, compared case-insensitively) get `role`, scoped to `agency` (an
    agency code) when given. The first mapping that matches wins, so list the strongest first."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field(min_length=3, description="Group DN, e.g. cn=eams-admins,ou=groups,dc=tinh,dc=vn")
    role: Role
    agency: str | None = Field(default=None, description="Agency code the role is limited to")

    @field_validator("role")
    @classmethod
    def _people_only(cls, role: Role) -> Role:
        if role is Role.collector:
            raise ValueError("the collector role is for machines (tokens), not for people")
        return role


class LdapConfig(BaseModel):
    """LDAP / Active Directory sign-in: bind as the user, read their groups, map them to a role.

    OpenLDAP: `bind_dn_template: uid={username},ou=people,dc=tinh,dc=vn` and groups found with
    `group_filter: (member={user_dn})` under `group_base`. Active Directory:
    `bind_dn_template: {username}@tinh.gov.vn`, `user_base` + `user_filter:
    (sAMAccountName={username})` to find the entry, groups from its `memberOf`.
    """

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="ldap://host:389 or ldaps://host:636")
    bind_dn_template: str = Field(description="What the user binds as; {username} is replaced")
    start_tls: bool = Field(default=False, description="Upgrade ldap:// with StartTLS before binding")
    ca_file: str | None = Field(default=None, description="CA certificate that signed the server's")
    user_base: str | None = Field(default=None, description="Where to search the user's entry")
    user_filter: str = Field(default="(uid={username})", description="Finds the entry under user_base")
    group_base: str | None = Field(default=None, description="Where to search groups (else memberOf)")
    group_filter: str = Field(
        default="(|(member={user_dn})(uniqueMember={user_dn}))", description="Groups the user is in"
    )
    full_name_attribute: str = "cn"
    email_attribute: str = "mail"
    group_mappings: list[LdapGroupMapping] = Field(default_factory=list)
    timeout_s: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _ldap_url(cls, url: str) -> str:
        if not url.startswith(("ldap://", "ldaps://")):
            raise ValueError("the LDAP url must start with ldap:// or ldaps://")
        return url

    @field_validator("bind_dn_template")
    @classmethod
    def _names_the_user(cls, template: str) -> str:
        if "{username}" not in template:
            raise ValueError("bind_dn_template must contain {username}")
        return template


class AuthConfig(BaseModel):
    """Accounts, sessions and the audit log."""

    model_config = ConfigDict(extra="forbid")

    # Sessions (cookie `eams_session`, server-side rows in `user_session`).
    session_idle_minutes: float = Field(default=30, gt=0, description="Signed out after this long unused")
    session_absolute_hours: float = Field(default=12, gt=0, description="Signed out this long after sign-in")
    # Passwords: Argon2id. The defaults cost about 50-100 ms of one core per sign-in (bench/auth).
    password_min_length: int = Field(default=10, ge=8, le=128)
    argon2_time_cost: int = Field(default=2, ge=1, le=20)
    argon2_memory_kib: int = Field(default=32768, ge=8192, le=1 << 21)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)
    # Brute force: every failure delays the next try for that username or address (doubling from
    # delay_base_s up to delay_max_s); max_failures in failure_window_minutes lock it for
    # lockout_minutes. alert_burst failures make the login_failed event a burst (security alert).
    max_failures: int = Field(default=5, ge=1, le=1000, description="Failures of one username before lockout")
    address_max_failures: int = Field(default=20, ge=1, le=10000, description="Failures from one address")
    failure_window_minutes: float = Field(default=15, gt=0)
    lockout_minutes: float = Field(default=15, gt=0)
    delay_base_s: float = Field(default=1.0, ge=0, le=60)
    delay_max_s: float = Field(default=30.0, ge=0, le=3600)
    alert_burst: int = Field(default=10, ge=1, description="Failures in the window that raise an alert")
    # MFA (TOTP, RFC 6238).
    mfa_required_roles: list[Role] = Field(
        default_factory=list, description="Roles that must sign in with a TOTP code, e.g. [admin]"
    )
    totp_issuer: str = Field(default="EAMS", min_length=1, max_length=50)
    recovery_codes: int = Field(default=10, ge=4, le=20)
    # LDAP / Active Directory, off unless set.
    ldap: LdapConfig | None = None
    # Audit log: kept this many days (0: forever); the service applies it every hour
    # (eams/components/audit.py), `eams audit prune` at once.
    audit_retention_days: int = Field(default=365, ge=0)
