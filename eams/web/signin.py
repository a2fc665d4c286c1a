"""/login, /logout, /profile and /language (the reader's language, remembered in a cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from eams.auth import resolve_token
from eams.i18n import normalise_language
from eams.web.context import Crumb
from eams.web.session import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    Page,
    PageSession,
    check_csrf,
    page_context,
)
from eams.web.templating import render, translate
from inventory.models import Agency

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
    return render(request, page, "signin/login.html", next=safe_next(next), problem=None)


@router.post("/login")
def login(
    request: Request,
    session: PageSession,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    caller = resolve_token(session, token.strip())
    if caller is None:
        page = page_context(request, None)
        problem = translate(page.language, "This token is unknown, revoked or expired.")
        return render(
            request, page, "signin/login.html", status_code=401, next=safe_next(next), problem=problem
        )
    answer = RedirectResponse(safe_next(next), status_code=303)
    secure = request.url.scheme == "https"
    answer.set_cookie(SESSION_COOKIE, token.strip(), httponly=True, samesite="lax", secure=secure, path="/")
    return answer


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout() -> Response:
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/profile")
def profile(request: Request, page: Page, session: PageSession) -> Response:
    page.crumbs = [Crumb(translate(page.language, "Profile"))]
    scope: list[str] = []
    if page.caller is not None and page.caller.agency_ids is not None:
        scope = list(
            session.scalars(
                select(Agency.name).where(Agency.id.in_(page.caller.agency_ids)).order_by(Agency.name)
            )
        )
    return render(request, page, "signin/profile.html", scope=scope)


@router.get("/language")
def language(lang: str = Query(..., max_length=10), next: str = Query("/", max_length=2000)) -> Response:
    answer = RedirectResponse(safe_next(next), status_code=303)
    answer.set_cookie(LANGUAGE_COOKIE, normalise_language(lang), max_age=YEAR, samesite="lax", path="/")
    return answer
