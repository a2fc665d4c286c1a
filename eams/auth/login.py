"""Signing in and out: the one path the JSON API and the web pages share.

`Accounts.authenticate(username, password, client)` checks the throttle, the password (local, or
an LDAP bind), the account's state and MFA, records the attempt in the audit log, and returns a
`LoginOutcome`; `complete_mfa(challenge, code, client)` finishes a sign-in that needed a TOTP code.
Both are blocking (Argon2id, the database, LDAP): call them from a worker thread, or use the async
`sign_in` / `sign_in_mfa`, which also publish the `login_failed` event for the alert engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.samples import Event, Severity
from eams.auth import audit, ldap, throttle
from eams.auth.audit import AuditEntry
from eams.auth.config import AuthConfig
from eams.auth.mfa import verify_second_factor
from eams.auth.models import SessionStage, User, UserSession, UserSource
from eams.auth.passwords import hash_password, needs_rehash, verify_password
from eams.auth.principal import Restriction
from eams.auth.sessions import (
    ClientInfo,
    OpenedSession,
    SessionKeys,
    find_session,
    open_session,
    restrictions_of,
    revoke_session,
)
from eams.auth.users import normalise_username
from inventory.db import Database
from inventory.models import Agency
from inventory.models.base import utcnow
from inventory.secretbox import SecretBox

log = logging.getLogger(__name__)

EVENT_KIND = "auth"
LOGIN_FAILED = "login_failed"


class LoginState(StrEnum):
    ok = "ok"
    bad_credentials = "bad_credentials"  # unknown user, wrong password or code, LDAP refused, disabled
    locked = "locked"  # throttled: too early after a failure, or locked out (see retry_after_s)
    mfa_required = "mfa_required"  # password good: send a TOTP or recovery code with `challenge`
    password_change_required = "password_change_required"  # signed in, may only change the password
    mfa_enrolment_required = "mfa_enrolment_required"  # signed in, may only enrol MFA
    unavailable = "unavailable"  # the LDAP directory could not be asked


MESSAGES: dict[LoginState, str] = {
    LoginState.ok: "Đăng nhập thành công / Signed in",
    LoginState.bad_credentials: "Sai tên đăng nhập hoặc mật khẩu / Wrong username or password",
    LoginState.locked: "Tạm khóa do đăng nhập sai nhiều lần, hãy thử lại sau / "
    "Too many failed sign-ins; try again later",
    LoginState.mfa_required: "Nhập mã xác thực từ ứng dụng / Enter the code from your authenticator app",
    LoginState.password_change_required: "Hãy đổi mật khẩu trước khi tiếp tục / "
    "Change your password before going on",
    LoginState.mfa_enrolment_required: "Vai trò của bạn cần xác thực hai lớp: hãy đăng ký / "
    "Your role requires MFA: enrol now",
    LoginState.unavailable: "Không kết nối được máy chủ LDAP / The LDAP directory cannot be reached",
}


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a sign-in step. `session` is set for ok, password_change_required and
    mfa_enrolment_required (a restricted session); `challenge` for mfa_required; `retry_after_s`
    for locked. `event` is the login_failed event to publish (None on success)."""

    state: LoginState
    username: str
    message: str
    user_id: int | None = None
    session: OpenedSession | None = None
    challenge: str | None = field(default=None, repr=False)
    retry_after_s: float | None = None
    event: Event | None = None

    @property
    def signed_in(self) -> bool:
        return self.session is not None


class Accounts:
    """Sign-in, sessions and account state for one service; one per `Services`
    (`accounts_of(services)`), safe to share between threads."""

    def __init__(self, db: Database, config: AuthConfig, box: SecretBox, secret_key: str) -> None:
        self.db = db
        self.config = config
        self.box = box
        self.keys = SessionKeys(secret_key)

    # -- signing in -------------------------------------------------------------------------

    def authenticate(
        self, username: str, password: str, client: ClientInfo, *, code: str | None = None
    ) -> LoginOutcome:
        """Check a username and password (and a TOTP code when given). Never raises for bad input."""
        name = normalise_username(username)[:100]
        keys = [throttle.username_key(name), *filter(None, [throttle.address_key(client.address)])]
        with self.db.session(actor=f"user:{name}") as session:
            now = utcnow()
            refusal = throttle.check(session, self.config, keys, now)
            if refusal is not None:
                return self._refused(session, name, client, refusal.retry_after_s, stage="password")
            known = session.scalar(select(User).where(User.username == name))
            try:
                user = self._check_password(session, known, name, password)
            except ldap.LdapUnavailable as exc:
                log.warning("LDAP sign-in of %s impossible: %s", name, exc)
                self._audit(session, "login", "failed", name, None, client, {"reason": "ldap_unavailable"})
                return LoginOutcome(LoginState.unavailable, name, MESSAGES[LoginState.unavailable])
            if user is None or not user.active:
                reason = "disabled" if user is not None else "bad_password"
                # A failure on an existing account is recorded on it: its owner sees the attempts.
                return self._failed(session, name, user or known, client, keys, reason)
            throttle.release(session, [throttle.username_key(name)])
            if user.totp_enabled:
                if code is None:
                    challenge = open_session(
                        session, self.keys, self.config, user, client, stage=SessionStage.mfa
                    )
                    self._audit(session, "login", "mfa_required", name, user, client, {})
                    return LoginOutcome(
                        LoginState.mfa_required,
                        name,
                        MESSAGES[LoginState.mfa_required],
                        user_id=user.id,
                        challenge=challenge.cookie_value,
                    )
                if not verify_second_factor(session, self.config, self.box, user, code):
                    return self._failed(session, name, user, client, keys, "bad_code")
            return self._signed_in(session, user, client)

    def complete_mfa(self, challenge: str, code: str, client: ClientInfo) -> LoginOutcome:
        """Second step of a sign-in with MFA: the challenge from `mfa_required` and a code."""
        with self.db.session(actor="system") as session:
            found = find_session(session, self.config, challenge, stage=SessionStage.mfa)
            if found is None:
                self._audit(session, "login", "failed", "", None, client, {"reason": "unknown_challenge"})
                return LoginOutcome(LoginState.bad_credentials, "", MESSAGES[LoginState.bad_credentials])
            row, user = found
            name = user.username
            keys = [throttle.username_key(name), *filter(None, [throttle.address_key(client.address)])]
            session.info["actor"] = f"user:{name}"
            now = utcnow()
            refusal = throttle.check(session, self.config, keys, now)
            if refusal is not None:
                return self._refused(session, name, client, refusal.retry_after_s, stage="mfa")
            if not verify_second_factor(session, self.config, self.box, user, code):
                return self._failed(session, name, user, client, keys, "bad_code")
            revoke_session(session, row.id)
            throttle.release(session, [throttle.username_key(name)])
            return self._signed_in(session, user, client)

    def sign_out(self, session_id: int, *, actor: str, client: ClientInfo, everywhere: bool = False) -> int:
        """End this session (or every session of its user); returns how many ended."""
        from eams.auth.sessions import revoke_sessions

        with self.db.session(actor=actor) as session:
            row = session.get(UserSession, session_id)
            if row is None:
                return 0
            user = session.get(User, row.user_id)
            ended = (
                revoke_sessions(session, row.user_id)
                if everywhere
                else int(revoke_session(session, session_id))
            )
            if user is not None:
                action = "logout_everywhere" if everywhere else "logout"
                self._audit(session, action, "ok", user.username, user, client, {"sessions": ended})
            return ended

    # -- the steps ------------------------------------------------------------------------------

    def _check_password(self, session: Session, user: User | None, name: str, password: str) -> User | None:
        """The user when the password is right (provisioned from LDAP on first sign-in), else None."""
        if user is not None and user.source is UserSource.local:
            if not verify_password(self.config, user.password_hash, password):
                return None
            if user.password_hash and needs_rehash(self.config, user.password_hash):
                user.password_hash = hash_password(self.config, password)
            return user
        if self.config.ldap is None:
            verify_password(self.config, None, password)  # same time as a wrong password
            return None
        identity = ldap.authenticate(self.config.ldap, name, password)
        if identity is None or identity.mapping is None:
            if identity is not None:
                log.info("LDAP user %s is in no mapped group; sign-in refused", name)
            return None
        agency_id = None
        if identity.mapping.agency:
            agency_id = session.scalar(select(Agency.id).where(Agency.code == identity.mapping.agency))
            if agency_id is None:
                log.warning("LDAP mapping names agency %s, which does not exist", identity.mapping.agency)
                return None
        if user is None:
            user = User(username=name, source=UserSource.ldap, active=True, role=identity.mapping.role)
            session.add(user)
        user.full_name = identity.full_name[:200]
        user.email = identity.email[:254] if identity.email else None
        user.role = identity.mapping.role  # the directory decides, at every sign-in
        user.agency_id = agency_id
        session.flush()
        return user

    def _signed_in(self, session: Session, user: User, client: ClientInfo) -> LoginOutcome:
        opened = open_session(session, self.keys, self.config, user, client)
        user.last_login_at = utcnow()
        restrictions = restrictions_of(user, self.config)
        state = LoginState.ok
        if Restriction.password_change in restrictions:
            state = LoginState.password_change_required
        elif Restriction.mfa_enrolment in restrictions:
            state = LoginState.mfa_enrolment_required
        self._audit(session, "login", "ok", user.username, user, client, {"state": state.value})
        return LoginOutcome(state, user.username, MESSAGES[state], user_id=user.id, session=opened)

    def _failed(
        self,
        session: Session,
        name: str,
        user: User | None,
        client: ClientInfo,
        keys: list[str],
        reason: str,
    ) -> LoginOutcome:
        count = throttle.record_failure(session, self.config, keys, utcnow())
        outcome = "locked" if count.locked else "failed"
        self._audit(session, "login", outcome, name, user, client, {"reason": reason})
        state = LoginState.locked if count.locked else LoginState.bad_credentials
        retry = self.config.lockout_minutes * 60 if count.locked else None
        failures = max(count.username_failures, count.address_failures)
        return LoginOutcome(
            state,
            name,
            MESSAGES[state],
            retry_after_s=retry,
            event=self._event(name, client, outcome, failures),
        )

    def _refused(
        self, session: Session, name: str, client: ClientInfo, retry_after_s: float, *, stage: str
    ) -> LoginOutcome:
        self._audit(session, "login", "locked", name, None, client, {"stage": stage})
        return LoginOutcome(
            LoginState.locked,
            name,
            MESSAGES[LoginState.locked],
            retry_after_s=retry_after_s,
            event=self._event(name, client, "locked", self.config.alert_burst),
        )

    def _event(self, name: str, client: ClientInfo, outcome: str, failures: int) -> Event:
        burst = failures >= self.config.alert_burst
        address = client.address or "unknown"
        return Event(
            kind=EVENT_KIND,
            name=LOGIN_FAILED,
            severity=Severity.warning,
            message=(
                f"{failures} lần đăng nhập thất bại: tài khoản {name}, từ {address} / "
                f"{failures} failed sign-ins: account {name}, from {address}"
            ),
            source=address,
            labels={"username": name, "address": address, "outcome": outcome, "burst": str(burst).lower()},
            data={"failures": failures},
        )

    def _audit(
        self,
        session: Session,
        action: str,
        outcome: str,
        name: str,
        user: User | None,
        client: ClientInfo,
        detail: dict[str, object],
    ) -> None:
        audit.append(
            session,
            AuditEntry(
                action=action,
                outcome=outcome,
                actor=f"user:{name}" if name else "anonymous",
                actor_user_id=user.id if user is not None and user.id is not None else None,
                object_type="app_user" if user is not None else None,
                object_id=user.id if user is not None else None,
                object_repr=name or None,
                agency_id=user.agency_id if user is not None else None,
                address=client.address,
                user_agent=client.user_agent,
                request_id=client.request_id,
                detail=dict(detail),
            ),
        )
