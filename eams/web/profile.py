"""/profile: who I am, my password, my MFA and my sessions.

Each form calls the API's own function (`eams.api.routes.auth`: the same password rules, MFA
steps and audit records as `/api/v1/auth/...`); a refusal is shown in the form it came from
instead of an error page, so the person can correct it. Password and MFA belong to a person's
account session: a token sign-in sees the page without those forms.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import select

from eams.api.errors import ApiError
from eams.api.params import PathId
from eams.api.routes import auth as auth_api
from eams.auth.models import User
from eams.auth.schemas import CodeIn, PasswordChangeIn
from eams.auth.sessions import live_sessions
from eams.web.context import Crumb, PageContext
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import render, translate
from inventory.models import Agency

router = APIRouter(include_in_schema=False)


def show(
    request: Request, page: PageContext, session: PageSession, status_code: int = 200, **values: Any
) -> Response:
    """The profile page, with whatever a form just produced (a problem, a QR code, codes)."""
    page.crumbs = [Crumb(translate(page.language, "Profile"))]
    assert page.caller is not None
    scope: list[str] = []
    if page.caller.agency_ids is not None:
        scope = list(
            session.scalars(
                select(Agency.name).where(Agency.id.in_(page.caller.agency_ids)).order_by(Agency.name)
            )
        )
    account = session.get(User, page.caller.user_id) if page.caller.session_id is not None else None
    services = request.app.state.services
    mfa_required = account is not None and account.role in services.settings.auth.mfa_required_roles
    sessions = live_sessions(session, services.settings.auth, account.id) if account is not None else []
    defaults: dict[str, Any] = {
        "password_problem": None,
        "password_changed": request.query_params.get("done") == "password",
        "mfa_problem": None,
        "enrolment": None,
        "recovery_codes": None,
        "mfa_disabled": request.query_params.get("done") == "mfa-off",
        "sessions_ended": request.query_params.get("done") == "sessions",
    }
    defaults.update(values)
    return render(
        request,
        page,
        "profile/page.html",
        status_code=status_code,
        scope=scope,
        account=account,
        mfa_required=mfa_required,
        must=sorted(r.value for r in page.caller.restrictions),
        sessions=sessions,
        current_session=page.caller.session_id,
        **defaults,
    )


def problem_of(page: PageContext, exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return exc.message
    return translate(page.language, "Fill in every field.")


@router.get("/profile")
def profile(request: Request, page: Page, session: PageSession) -> Response:
    return show(request, page, session)


@router.post("/profile/password", dependencies=[Depends(check_csrf)])
def change_password(
    request: Request,
    page: Page,
    session: PageSession,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    repeat_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    assert page.caller is not None
    services = request.app.state.services
    if new_password != repeat_password:
        problem = translate(page.language, "The two new passwords differ.")
        return show(request, page, session, status_code=422, password_problem=problem)
    try:
        payload = PasswordChangeIn(current_password=current_password, new_password=new_password)
        auth_api.change_password(payload, request, session, services, page.caller)
    except (ApiError, ValidationError) as exc:
        status = exc.status_code if isinstance(exc, ApiError) else 422
        # Answered normally, the request's transaction keeps the audit record of a wrong password.
        return show(request, page, session, status_code=status, password_problem=problem_of(page, exc))
    return RedirectResponse("/profile?done=password#password", status_code=303)


@router.post("/profile/mfa/enrol", dependencies=[Depends(check_csrf)])
def mfa_enrol(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    try:
        enrolment = auth_api.mfa_enrol(request, session, request.app.state.services, page.caller)
    except ApiError as exc:
        return show(request, page, session, status_code=exc.status_code, mfa_problem=exc.message)
    # The SVG is drawn by segno from our own otpauth URI, so it is markup we trust.
    enrolment["qr_svg"] = Markup(enrolment["qr_svg"])
    return show(request, page, session, enrolment=enrolment)


@router.post("/profile/mfa/confirm", dependencies=[Depends(check_csrf)])
def mfa_confirm(
    request: Request, page: Page, session: PageSession, code: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    assert page.caller is not None
    try:
        answer = auth_api.mfa_confirm(
            CodeIn(code=code), request, session, request.app.state.services, page.caller
        )
    except (ApiError, ValidationError) as exc:
        status = exc.status_code if isinstance(exc, ApiError) else 422
        return show(request, page, session, status_code=status, mfa_problem=problem_of(page, exc))
    return show(request, page, session, recovery_codes=answer["recovery_codes"])


@router.post("/profile/mfa/disable", dependencies=[Depends(check_csrf)])
def mfa_disable(
    request: Request, page: Page, session: PageSession, code: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    assert page.caller is not None
    try:
        auth_api.mfa_disable(CodeIn(code=code), request, session, request.app.state.services, page.caller)
    except (ApiError, ValidationError) as exc:
        status = exc.status_code if isinstance(exc, ApiError) else 422
        return show(request, page, session, status_code=status, mfa_problem=problem_of(page, exc))
    return RedirectResponse("/profile?done=mfa-off#mfa", status_code=303)


@router.post("/profile/sessions/{session_id}/end", dependencies=[Depends(check_csrf)])
def end_session(request: Request, page: Page, session: PageSession, session_id: PathId) -> Response:
    """End one of my other sessions (a browser left signed in elsewhere): the API's own route,
    with its audit record; someone else's session is not found."""
    assert page.caller is not None
    auth_api.end_my_session(request, session, page.caller, session_id)
    return RedirectResponse("/profile?done=sessions#sessions", status_code=303)


@router.post("/profile/sessions/end-others", dependencies=[Depends(check_csrf)])
def end_other_sessions(request: Request, page: Page, session: PageSession) -> Response:
    """Sign out everywhere else: every session of mine but this one ends at once."""
    assert page.caller is not None
    auth_api.end_my_other_sessions(request, session, page.caller)
    return RedirectResponse("/profile?done=sessions#sessions", status_code=303)
