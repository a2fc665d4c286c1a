"""Bearer tokens, roles and agency scoping."""

from eams.auth.principal import Permission, Principal
from eams.auth.tokens import TokenError, create_token, resolve_token

__all__ = ["Permission", "Principal", "TokenError", "create_token", "resolve_token"]
