"""Who is calling: bearer tokens, people's accounts and sessions, roles and agency scoping.

The service API the JSON endpoints and the web pages share (all typed, each with its docstring):
- sign-in: `sign_in`, `sign_in_mfa` (async) or `Accounts.authenticate`, `Accounts.complete_mfa`
  (blocking) -> `LoginOutcome` with a `LoginState`; `Accounts.sign_out`;
- sessions: `open_session`, `resolve_session`, `revoke_session`, `revoke_sessions`,
  `csrf_token_for`, `verify_csrf`, cookie names `SESSION_COOKIE`, `CSRF_COOKIE`;
- MFA: `eams.auth.mfa` (`begin_enrolment`, `confirm_enrolment`, `verify_totp`, `disable_mfa`,
  `new_recovery_codes`);
- accounts: `eams.auth.users` (`create_user`, `update_user`, `set_password`, `disable_user`,
  `unlock_user`); the audit log: `eams.auth.audit`.
"""

from eams.auth.principal import Permission, Principal, Restriction
from eams.auth.tokens import TokenError, create_token, resolve_token

__all__ = ["Permission", "Principal", "Restriction", "TokenError", "create_token", "resolve_token"]
