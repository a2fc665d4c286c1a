"""`/api/v1/auth`: people sign in and out, see who they are, manage their sessions, password and MFA.

Sign-in answers set the session in an HttpOnly cookie (`eams_session`) and the CSRF token in a
readable one (`eams_csrf`); every later request that changes something echoes that token in the
`X-CSRF-Token` header. Bearer-token callers use none of this.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from eams.api.deps import Caller, ServicesDep, SessionDep, client_info
from eams.api.errors import BadRequest, Forbidden, NotFound, Unauthorized, Unprocessable
from eams.auth import mfa
from eams.auth.audit.request import record_request_action
from eams.auth.cookies import clear_session_cookies, set_session_cookies
from eams.auth.login import LoginOutcome, LoginState
from eams.auth.models import User
from eams.auth.passwords import verify_password
from eams.auth.principal import Principal
from eams.auth.schemas import (
    CodeIn,
    LoginAnswer,
    LoginIn,
    MeAnswer,
    MfaEnrolment,
    MfaLoginIn,
    PasswordChangeIn,
    RecoveryCodes,
    SessionRead,
    UserRead,
)
from eams.auth.service import accounts_of, sign_in, sign_in_mfa
from eams.auth.sessions import live_sessions, revoke_session, revoke_sessions
from eams.auth.users import UserError, set_password
from eams.services import Services

router = APIRouter(prefix="/auth", tags=["auth"])

LOGIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many failed sign-ins: wait Retry-After seconds"},
    503: {"description": "The LDAP directory cannot be reached"},
}


def _answer(services: Services, outcome: LoginOutcome) -> Response:
    if outcome.state is LoginState.locked:
        retry = int(outcome.retry_after_s or 1) + 1
        return JSONResponse({"detail": outcome.message}, status_code=429, headers={"Retry-After": str(retry)})
    if outcome.state is LoginState.unavailable:
        return JSONResponse({"detail": outcome.message}, status_code=503)
    if outcome.state is LoginState.bad_credentials:
        raise Unauthorized(outcome.message, field="password")
    body: dict[str, Any] = {"state": outcome.state.value, "message": outcome.message}
    if outcome.challenge is not None:
        body["challenge"] = outcome.challenge
    opened = outcome.session
    if opened is not None:
        with services.db.session() as read:
            user = read.get(User, opened.user_id)
            body["user"] = UserRead.model_validate(user).model_dump(mode="json")
        body["csrf_token"] = opened.csrf_token
        body["expires_at"] = opened.expires_at.isoformat()
    response = JSONResponse(body)
    if opened is not None:
        set_session_cookies(response, opened, public_url=services.settings.public_url)
    return response


@router.post(
    "/login",
    response_model=LoginAnswer,
    summary="Sign in with a username and password (sets the session cookie)",
    responses=LOGIN_RESPONSES,
)
async def login(payload: LoginIn, request: Request, services: ServicesDep) -> Response:
    outcome = await sign_in(
        services, payload.username, payload.password, client_info(request), code=payload.code
    )
    return await asyncio.to_thread(_answer, services, outcome)


@router.post(
    "/login/mfa",
    response_model=LoginAnswer,
    summary="Finish a sign-in with a TOTP or recovery code",
    responses=LOGIN_RESPONSES,
)
async def login_mfa(payload: MfaLoginIn, request: Request, services: ServicesDep) -> Response:
    outcome = await sign_in_mfa(services, payload.challenge, payload.code, client_info(request))
    return await asyncio.to_thread(_answer, services, outcome)


def _session_user(session: Session, caller: Principal) -> User:
    if caller.user_id is None or caller.session_id is None:
        raise BadRequest("this needs a person's session (sign in), not a token", field="Authorization")
    user = session.get(User, caller.user_id)
    if user is None:
        raise Unauthorized("the account no longer exists")
    return user


@router.post("/logout", status_code=204, summary="Sign out (ends this session)")
def logout(request: Request, services: ServicesDep, caller: Caller) -> Response:
    if caller.session_id is None:
        raise BadRequest("a token is not signed out; an admin revokes it (DELETE /api/v1/tokens/{id})")
    request.state.audited = True
    accounts_of(services).sign_out(caller.session_id, actor=caller.actor, client=client_info(request))
    response = Response(status_code=204)
    clear_session_cookies(response, public_url=services.settings.public_url)
    return response


@router.post("/logout-all", summary="Sign out everywhere (every session of this account)")
def logout_everywhere(request: Request, services: ServicesDep, caller: Caller) -> dict[str, int]:
    if caller.session_id is None:
        raise BadRequest("a token is not signed out; an admin revokes it (DELETE /api/v1/tokens/{id})")
    request.state.audited = True
    ended = accounts_of(services).sign_out(
        caller.session_id, actor=caller.actor, client=client_info(request), everywhere=True
    )
    return {"ended": ended}


@router.get("/me", response_model=MeAnswer, summary="Who am I (account, role, scope, what is left to do)")
def me(request: Request, session: SessionDep, caller: Caller) -> Any:
    answer: dict[str, Any] = {
        "kind": "session" if caller.session_id is not None else "token",
        "name": caller.name,
        "role": caller.role,
        "agency_ids": sorted(caller.agency_ids) if caller.agency_ids is not None else None,
        "restrictions": sorted(r.value for r in caller.restrictions),
        "token_id": caller.token_id,
    }
    if caller.user_id is not None:
        answer["user"] = UserRead.model_validate(session.get(User, caller.user_id))
        resolved = getattr(request.state, "session", None)
        if resolved is not None:
            answer["session_expires_at"] = resolved.expires_at
            answer["csrf_token"] = resolved.csrf_token
    return answer


@router.get("/sessions", response_model=list[SessionRead], summary="My live sessions")
def my_sessions(session: SessionDep, services: ServicesDep, caller: Caller) -> Any:
    user = _session_user(session, caller)
    rows = live_sessions(session, services.settings.auth, user.id)
    return [
        {**SessionRead.model_validate(row).model_dump(), "current": row.id == caller.session_id}
        for row in rows
    ]


@router.delete("/sessions", summary="End my other sessions (sign out everywhere else)")
def end_my_other_sessions(request: Request, session: SessionDep, caller: Caller) -> dict[str, int]:
    user = _session_user(session, caller)
    ended = revoke_sessions(session, user.id, keep_session_id=caller.session_id)
    record_request_action(
        session,
        request,
        caller,
        "session.revoke_others",
        object_type="user",
        object_id=user.id,
        agency_id=user.agency_id,
        detail={"ended": ended},
    )
    return {"ended": ended}


@router.delete("/sessions/{session_id}", status_code=204, summary="End one of my sessions")
def end_my_session(
    request: Request,
    session: SessionDep,
    caller: Caller,
    session_id: int = Path(ge=1, le=2**31 - 1),
) -> Response:
    user = _session_user(session, caller)
    if not revoke_session(session, session_id, user_id=user.id):
        raise NotFound(f"session {session_id} not found", field="session_id")
    record_request_action(
        session,
        request,
        caller,
        "session.revoke",
        object_type="user_session",
        object_id=session_id,
        agency_id=user.agency_id,
    )
    return Response(status_code=204)


@router.post("/password", status_code=204, summary="Change my password (my other sessions end)")
def change_password(
    payload: PasswordChangeIn, request: Request, session: SessionDep, services: ServicesDep, caller: Caller
) -> Response:
    user = _session_user(session, caller)
    config = services.settings.auth
    if not verify_password(config, user.password_hash, payload.current_password):
        record_request_action(
            session,
            request,
            caller,
            "password.change",
            outcome="failed",
            object_type="app_user",
            object_id=user.id,
            agency_id=user.agency_id,
        )
        raise Forbidden(
            "mật khẩu hiện tại không đúng / the current password is wrong", field="current_password"
        )
    if payload.new_password == payload.current_password:
        raise Unprocessable("mật khẩu mới phải khác / the new password must differ", field="new_password")
    try:
        set_password(session, config, user, payload.new_password, by_admin=False)
    except UserError as exc:
        raise Unprocessable(str(exc), field="new_password") from None
    revoke_sessions(session, user.id, keep_session_id=caller.session_id)
    record_request_action(
        session,
        request,
        caller,
        "password.change",
        object_type="app_user",
        object_id=user.id,
        object_repr=user.username,
        agency_id=user.agency_id,
    )
    return Response(status_code=204)


@router.post(
    "/mfa/enrol", response_model=MfaEnrolment, summary="Start MFA enrolment (seed and QR code, shown once)"
)
def mfa_enrol(request: Request, session: SessionDep, services: ServicesDep, caller: Caller) -> Any:
    user = _session_user(session, caller)
    try:
        enrolment = mfa.begin_enrolment(session, services.settings.auth, services.secret_box, user)
    except mfa.MfaError as exc:
        raise BadRequest(str(exc), field="mfa") from None
    record_request_action(
        session,
        request,
        caller,
        "mfa.enrol",
        object_type="app_user",
        object_id=user.id,
        object_repr=user.username,
        agency_id=user.agency_id,
    )
    return {"otpauth_uri": enrolment.otpauth_uri, "secret": enrolment.secret, "qr_svg": enrolment.qr_svg}


@router.post("/mfa/confirm", response_model=RecoveryCodes, summary="Turn MFA on with a first code")
def mfa_confirm(
    payload: CodeIn, request: Request, session: SessionDep, services: ServicesDep, caller: Caller
) -> Any:
    user = _session_user(session, caller)
    try:
        codes = mfa.confirm_enrolment(
            session, services.settings.auth, services.secret_box, user, payload.code
        )
    except mfa.MfaError as exc:
        raise Unprocessable(str(exc), field="code") from None
    record_request_action(
        session,
        request,
        caller,
        "mfa.confirm",
        object_type="app_user",
        object_id=user.id,
        object_repr=user.username,
        agency_id=user.agency_id,
    )
    return {"recovery_codes": codes}


def _second_factor(session: Session, services: Services, user: User, code: str) -> None:
    if not user.totp_enabled:
        raise BadRequest("MFA chưa bật / MFA is not on", field="mfa")
    if not mfa.verify_second_factor(session, services.settings.auth, services.secret_box, user, code):
        raise Forbidden("mã không đúng / the code is wrong", field="code")


@router.post(
    "/mfa/recovery-codes", response_model=RecoveryCodes, summary="New recovery codes (old ones stop working)"
)
def mfa_recovery_codes(
    payload: CodeIn, request: Request, session: SessionDep, services: ServicesDep, caller: Caller
) -> Any:
    user = _session_user(session, caller)
    _second_factor(session, services, user, payload.code)
    codes = mfa.new_recovery_codes(session, services.settings.auth, user)
    record_request_action(
        session,
        request,
        caller,
        "mfa.recovery_codes",
        object_type="app_user",
        object_id=user.id,
        object_repr=user.username,
        agency_id=user.agency_id,
    )
    return {"recovery_codes": codes}


@router.post(
    "/mfa/disable", status_code=204, summary="Turn MFA off (with a code; not where the role requires it)"
)
def mfa_disable(
    payload: CodeIn, request: Request, session: SessionDep, services: ServicesDep, caller: Caller
) -> Response:
    user = _session_user(session, caller)
    if user.role in services.settings.auth.mfa_required_roles:
        raise Forbidden(
            f"vai trò {user.role.value} bắt buộc MFA / the role {user.role.value} requires MFA", field="mfa"
        )
    _second_factor(session, services, user, payload.code)
    mfa.disable_mfa(session, user)
    record_request_action(
        session,
        request,
        caller,
        "mfa.disable",
        object_type="app_user",
        object_id=user.id,
        object_repr=user.username,
        agency_id=user.agency_id,
    )
    return Response(status_code=204)
