"""Sign-in against LDAP / Active Directory (ldap3): bind as the user, read their groups, map them.

No service account is needed: the user's own bind proves the password, and the same connection
reads their entry and groups. The role and agency come from the first `group_mappings` entry the
user is a member of; a user in no mapped group cannot sign in.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from dataclasses import dataclass

from ldap3 import ALL_ATTRIBUTES, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from eams.auth.config import LdapConfig, LdapGroupMapping

log = logging.getLogger(__name__)


class LdapUnavailable(RuntimeError):
    """The directory could not be reached or answered an error (not a wrong password)."""


@dataclass(frozen=True)
class LdapIdentity:
    """Who the directory says the user is, and what the mapping gives them."""

    user_dn: str
    full_name: str
    email: str | None
    groups: tuple[str, ...]
    mapping: LdapGroupMapping | None


def _server(config: LdapConfig) -> Server:
    tls = None
    if config.url.startswith("ldaps://") or config.start_tls:
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.ca_file)
    return Server(
        config.url, use_ssl=config.url.startswith("ldaps://"), tls=tls, connect_timeout=config.timeout_s
    )


def _first(entry_attributes: dict[str, object], name: str) -> str | None:
    value = entry_attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value not in (None, "") else None


def authenticate(config: LdapConfig, username: str, password: str) -> LdapIdentity | None:
    """The identity when `password` binds as `username`, None when the directory refuses it.
    An empty password is refused here: LDAP servers take it as an anonymous bind that "succeeds"."""
    if not password:
        return None
    # The username becomes part of a DN (or a UPN) and of search filters: escape it for each.
    bind_dn = config.bind_dn_template.replace("{username}", escape_rdn(username))
    connection = Connection(
        _server(config),
        user=bind_dn,
        password=password,
        receive_timeout=max(int(config.timeout_s), 1),  # ldap3 packs it into a C int
        raise_exceptions=False,
        read_only=True,
    )
    try:
        if config.start_tls and not config.url.startswith("ldaps://"):
            connection.open()
            if not connection.start_tls():
                raise LdapUnavailable(f"StartTLS with {config.url} failed")
        if not connection.bind():
            if connection.result.get("description") in (
                "invalidCredentials",
                "invalidDNSyntax",
                "noSuchObject",
            ):
                return None
            raise LdapUnavailable(f"the directory refused the bind: {connection.result.get('description')}")
        return _identity(connection, config, username, bind_dn)
    except LDAPException as exc:
        raise LdapUnavailable(f"{config.url}: {type(exc).__name__}") from None
    finally:
        # After a refused TLS handshake the socket is already closed and the unbind's send fails;
        # that must not replace the LdapUnavailable above with a traceback.
        with contextlib.suppress(LDAPException):
            connection.unbind()


def _identity(connection: Connection, config: LdapConfig, username: str, bind_dn: str) -> LdapIdentity:
    user_dn = bind_dn
    attributes: dict[str, object] = {}
    base = config.user_base or (bind_dn if "=" in bind_dn else None)
    if base:
        user_filter = config.user_filter.replace("{username}", escape_filter_chars(username))
        scope_base = config.user_base is None
        connection.search(
            base,
            user_filter if not scope_base else "(objectClass=*)",
            search_scope="BASE" if scope_base else SUBTREE,
            attributes=ALL_ATTRIBUTES,
            size_limit=2,
        )
        if connection.entries:
            entry = connection.entries[0]
            user_dn = entry.entry_dn
            attributes = dict(entry.entry_attributes_as_dict)
    member_of = attributes.get("memberOf") or []
    groups = {str(group) for group in (member_of if isinstance(member_of, list) else [member_of])}
    if config.group_base:
        group_filter = config.group_filter.replace("{user_dn}", escape_filter_chars(user_dn)).replace(
            "{username}", escape_filter_chars(username)
        )
        connection.search(config.group_base, group_filter, search_scope=SUBTREE, attributes=["cn"])
        groups.update(entry.entry_dn for entry in connection.entries)
    folded = {_fold_dn(group) for group in groups}
    mapping = next((m for m in config.group_mappings if _fold_dn(m.group) in folded), None)
    return LdapIdentity(
        user_dn=user_dn,
        full_name=_first(attributes, config.full_name_attribute) or username,
        email=_first(attributes, config.email_attribute),
        groups=tuple(sorted(groups)),
        mapping=mapping,
    )


def _fold_dn(dn: str) -> str:
    return ",".join(part.strip() for part in dn.lower().split(","))
