"""Who is looking at a page.

A person signs in at /login with their account (issue 12: `eams/auth/`, the same server-side
session and CSRF token as `POST /api/v1/auth/login`, cookie `eams_session`), or with an API token
of their role (`eams token create`, the demo's printed tokens), kept in the HttpOnly, SameSite=Lax
cookie `eams_web` and resolved by the same `resolve_token` as the bearer header. Either way the
principal, role and agency scope are exactly the API's. Every form post carries the CSRF token:
the session's own, or for a token sign-in an HMAC of the cookie with the service's secret key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from eams.api.deps import SessionDep
from eams.auth import Principal, resolve_token
from eams.auth.service import accounts_of
from eams.auth.sessions import SESSION_COOKIE as ACCOUNT_COOKIE
from eams.auth.sessions import ResolvedSession, csrf_token_for, resolve_session, verify_csrf
from eams.i18n import normalise_language
from eams.web.context import PageContext

SESSION_COOKIE = "eams_web"
LANGUAGE_COOKIE = "eams_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
FINISH_PAGE = "/profile"


class SignInRequired(Exception):
    """Raised by a page dependency; answered with a redirect to /login?next=..."""


class FinishSigningIn(Exception):
    """A session that must change its password or enrol MFA opened another page: answered with
    a redirect to /profile, where it does that."""


class CsrfRefused(Exception):
    """A state-changing request without the CSRF token of its session."""


def secret(request: Request) -> bytes:
    key: bytes = request.app.state.web_secret
    return key


def csrf_for(request: Request, cookie: str) -> str:
    resolved: ResolvedSession | None = getattr(request.state, "session", None)
    if resolved is not None:
        return csrf_token_for(resolved)
    return hmac.new(secret(request), b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def finishing_pages(request: Request) -> bool:
    """The pages a session that must first change its password or enrol MFA may open (as the
    API lets such a session use only /api/v1/auth/)."""
    path = request.url.path
    return path in (FINISH_PAGE, "/logout") or path.startswith(FINISH_PAGE + "/")


def account_session(request: Request, session: Session) -> ResolvedSession | None:
    """The person's account session, when its cookie is there and alive; a session that must
    first change its password or enrol MFA counts only on /profile, where that is done."""
    cookie = request.cookies.get(ACCOUNT_COOKIE)
    if not cookie:
        return None
    accounts = accounts_of(request.app.state.services)
    resolved = resolve_session(session, accounts.keys, accounts.config, cookie)
    if resolved is None:
        return None
    if resolved.principal.restrictions and not finishing_pages(request):
        raise FinishSigningIn()
    return resolved


def caller_from_cookie(request: Request, session: Session) -> Principal | None:
    resolved = account_session(request, session)
    found: Principal | None
    if resolved is not None:
        request.state.session = resolved
        found = resolved.principal
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        found = resolve_token(session, cookie) if cookie else None
    if found is not None:
        session.info["actor"] = found.actor
        request.state.principal = found
    return found


def language_of(request: Request) -> str:
    return normalise_language(request.cookies.get(LANGUAGE_COOKIE))


def page_context(request: Request, caller: Principal | None) -> PageContext:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return PageContext(
        language=language_of(request),
        caller=caller,
        csrf_token=csrf_for(request, cookie) if caller is not None else "",
        path=request.url.path,
        query=request.url.query,
    )


def signed_in(request: Request, session: SessionDep) -> PageContext:
    """A page dependency: the page's context with its caller, or a redirect to the sign-in page."""
    caller = caller_from_cookie(request, session)
    if caller is None:
        raise SignInRequired()
    return page_context(request, caller)


async def check_csrf(request: Request) -> None:
    """A dependency of every page route that changes something (POST)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent:
        raise CsrfRefused()
    if request.cookies.get(ACCOUNT_COOKIE):
        services = request.app.state.services

        def resolve() -> ResolvedSession | None:
            with services.db.session() as session:
                return account_session(request, session)

        resolved = await asyncio.to_thread(resolve)
        if resolved is not None:
            if not verify_csrf(resolved, sent):
                raise CsrfRefused()
            return
    cookie = request.cookies.get(SESSION_COOKIE, "")
    expected = hmac.new(secret(request), b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()
    if not cookie or not hmac.compare_digest(sent, expected):
        raise CsrfRefused()


Page = Annotated[PageContext, Depends(signed_in)]
# The API's session (scope="function": committed before the answer is sent). With FastAPI's default
# scope a page's POST answered its 303 first and committed after, so the browser, following the
# redirect at once, could read the page before the write was there (a new silence not yet listed).
# signed_in takes the same dependency, so a page reads its caller and its rows in one transaction.
PageSession = SessionDep
