"""/login, /logout and /language (the reader's language, remembered in a cookie)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from eams.api.deps import client_info
from eams.auth import resolve_token
from eams.auth.cookies import clear_session_cookies, set_session_cookies
from eams.auth.login import LoginState
from eams.auth.service import accounts_of, sign_in, sign_in_mfa
from eams.i18n import normalise_language
from eams.web.session import (
    FINISH_PAGE,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    Page,
    check_csrf,
    page_context,
)
from eams.web.templating import render, translate

router = APIRouter(include_in_schema=False)
YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str = Query("/", max_length=2000)) -> Response:
    page = page_context(request, None)
    page.crumbs = []
    return render(request, page, "signin/login.html", next=safe_next(next), problem=None, challenge=None)


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=150)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    challenge: Annotated[str, Form(max_length=500)] = "",
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The account sign-in of the API (`eams.auth.service.sign_in`, its throttling, MFA and audit)
    as a form; or a token sign-in."""
    services = request.app.state.services
    page = page_context(request, None)
    if token.strip():
        return await asyncio.to_thread(token_sign_in, request, token.strip(), next)
    if challenge:
        outcome = await sign_in_mfa(services, challenge, code.strip(), client_info(request))
    else:
        outcome = await sign_in(services, username, password, client_info(request), code=code.strip() or None)
    if outcome.state is LoginState.mfa_required:
        return render(
            request,
            page,
            "signin/login.html",
            next=safe_next(next),
            problem=None,
            challenge=outcome.challenge,
        )
    finishing = outcome.state in (LoginState.password_change_required, LoginState.mfa_enrolment_required)
    if outcome.session is None or (outcome.state is not LoginState.ok and not finishing):
        return render(
            request, page, "signin/login.html", status_code=401, next=safe_next(next), problem=outcome.message
        )
    # A password set by an admin, or MFA the role requires: done on /profile before anything else.
    answer = RedirectResponse(FINISH_PAGE if finishing else safe_next(next), status_code=303)
    set_session_cookies(answer, outcome.session, public_url=services.settings.public_url)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


def token_sign_in(request: Request, token: str, next: str) -> Response:
    services = request.app.state.services
    with services.db.session() as session:
        caller = resolve_token(session, token)
    if caller is None:
        page = page_context(request, None)
        problem = translate(page.language, "This token is unknown, revoked or expired.")
        return render(
            request, page, "signin/login.html", status_code=401, next=safe_next(next), problem=problem
        )
    answer = RedirectResponse(safe_next(next), status_code=303)
    secure = request.url.scheme == "https"
    answer.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/")
    return answer


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, page: Page) -> Response:
    services = request.app.state.services
    resolved = getattr(request.state, "session", None)
    answer = RedirectResponse("/login", status_code=303)
    if resolved is not None and page.caller is not None:
        accounts_of(services).sign_out(
            resolved.session_id, actor=page.caller.actor, client=client_info(request)
        )
        clear_session_cookies(answer, public_url=services.settings.public_url)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/language")
def language(lang: str = Query(..., max_length=10), next: str = Query("/", max_length=2000)) -> Response:
    answer = RedirectResponse(safe_next(next), status_code=303)
    answer.set_cookie(LANGUAGE_COOKIE, normalise_language(lang), max_age=YEAR, samesite="lax", path="/")
    return answer
