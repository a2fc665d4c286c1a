"""Setting and clearing the session and CSRF cookies (the JSON API and the web pages alike)."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from eams.auth.sessions import CSRF_COOKIE, SESSION_COOKIE, OpenedSession
from inventory.models.base import utcnow


def secure_cookies(public_url: str | None) -> bool:
    """Cookies are `Secure` when people reach the service over https (EAMS_PUBLIC_URL)."""
    return bool(public_url) and str(public_url).lower().startswith("https://")


def set_session_cookies(response: Response, opened: OpenedSession, *, public_url: str | None) -> None:
    """The session cookie (HttpOnly: no script reads it) and the CSRF cookie (readable, so that a
    script can echo it in X-CSRF-Token), both SameSite=Lax, ending with the session."""
    max_age = _seconds_until(opened.expires_at)
    secure = secure_cookies(public_url)
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie_value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        opened.csrf_token,
        max_age=max_age,
        httponly=False,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookies(response: Response, *, public_url: str | None) -> None:
    secure = secure_cookies(public_url)
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="lax")


def _seconds_until(moment: datetime) -> int:
    return max(int((moment - utcnow()).total_seconds()), 0)
