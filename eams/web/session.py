"""Who is looking at a page.

Until accounts and sessions land (issue 12: `eams/auth/` sessions, passwords, TOTP), a person signs
in to the pages with an API token of their role (`eams token create`, or the demo's printed
tokens): it is kept in an HttpOnly, SameSite=Lax cookie and resolved by the same
`resolve_token` as the API's bearer header, so the principal, role and agency scope are exactly
the API's. Every form post carries a CSRF token derived from that cookie (double submit, HMAC
with the service's secret key). When sessions land, `caller_from_cookie` and `csrf_for` are the
two functions to point at them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from eams.api.deps import db_session
from eams.auth import Principal, resolve_token
from eams.i18n import normalise_language
from eams.web.context import PageContext

SESSION_COOKIE = "eams_web"
LANGUAGE_COOKIE = "eams_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """Raised by a page dependency; answered with a redirect to /login?next=..."""


class CsrfRefused(Exception):
    """A state-changing request without the CSRF token of its session."""


def secret(request: Request) -> bytes:
    key: bytes = request.app.state.web_secret
    return key


def csrf_for(request: Request, cookie: str) -> str:
    return hmac.new(secret(request), b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def caller_from_cookie(request: Request, session: Session) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = resolve_token(session, cookie)
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


def signed_in(request: Request, session: Annotated[Session, Depends(db_session)]) -> PageContext:
    """A page dependency: the page's context with its caller, or a redirect to the sign-in page."""
    caller = caller_from_cookie(request, session)
    if caller is None:
        raise SignInRequired()
    return page_context(request, caller)


async def check_csrf(request: Request) -> None:
    """A dependency of every page route that changes something (POST)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(sent, csrf_for(request, cookie)):
        raise CsrfRefused()


Page = Annotated[PageContext, Depends(signed_in)]
PageSession = Annotated[Session, Depends(db_session)]
