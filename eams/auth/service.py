"""The accounts service of one running `Services`, and the async entry points of signing in.

`sign_in` and `sign_in_mfa` run the blocking work (Argon2id, database, LDAP) in a worker thread
and publish the `login_failed` event into the pipeline, where the alert engine's `login-burst`
rule (eams/alerts/rules/defaults.yaml) turns a burst of failures into a security alert.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from eams.auth.login import Accounts, LoginOutcome
from eams.auth.sessions import ClientInfo

if TYPE_CHECKING:
    from eams.services import Services

EXTRAS_KEY = "accounts"


def accounts_of(services: Services) -> Accounts:
    """The one `Accounts` of these services (made on first use)."""
    found = services.extras.get(EXTRAS_KEY)
    if not isinstance(found, Accounts):
        settings = services.settings
        found = Accounts(services.db, settings.auth, services.secret_box, settings.resolved_secret_key())
        services.extras[EXTRAS_KEY] = found
    return found


async def _published(services: Services, outcome: LoginOutcome) -> LoginOutcome:
    if outcome.event is not None:
        await services.pipeline.publish_event(outcome.event)
    return outcome


async def sign_in(
    services: Services, username: str, password: str, client: ClientInfo, *, code: str | None = None
) -> LoginOutcome:
    """Sign in with a password (and a TOTP or recovery code, if the caller has one already)."""
    accounts = accounts_of(services)
    outcome = await asyncio.to_thread(accounts.authenticate, username, password, client, code=code)
    return await _published(services, outcome)


async def sign_in_mfa(services: Services, challenge: str, code: str, client: ClientInfo) -> LoginOutcome:
    """Finish a sign-in that answered `mfa_required`."""
    outcome = await asyncio.to_thread(accounts_of(services).complete_mfa, challenge, code, client)
    return await _published(services, outcome)
