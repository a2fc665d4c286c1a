"""/admin: API tokens (create, revoke), credentials profiles (names and which secrets are set,
never the secrets), alert rules, the discovered-facts review (accept or reject, one or many),
discovery jobs and the remote collectors' health. Each action calls the API's own function, so the
same role and agency-scope checks apply."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from collectors.remote.models import RemoteCollector
from eams.alerts.models import AlertRule
from eams.api.errors import ApiError, Forbidden, Unprocessable
from eams.api.routes import discovery as facts_api
from eams.api.routes import tokens as tokens_api
from eams.api.routes.collectors import describe_collectors
from eams.api.routes.inventory import INVENTORY_RESOURCES
from eams.auth import Permission
from eams.web.context import Crumb, PageContext
from eams.web.listing import list_page
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import render, translate
from inventory.models import Agency, ApiToken, DiscoveredFact, Role
from inventory.schemas.auth import TokenCreate

router = APIRouter(include_in_schema=False)
CREDENTIALS = next(r for r in INVENTORY_RESOURCES if r.path == "credentials")


def admin_only(page: PageContext) -> None:
    if not page.can(Permission.manage_tokens):
        raise Forbidden(translate(page.language, "Only administrators open this page."))


def crumbs(page: PageContext, *more: Crumb) -> list[Crumb]:
    return [Crumb(translate(page.language, "Administration"), "/admin"), *more]


@router.get("/admin")
def admin_page(request: Request, page: Page, session: PageSession) -> Response:
    admin_only(page)
    assert page.caller is not None
    tokens = list(
        session.scalars(
            select(ApiToken).where(*tokens_api._visible(page.caller)).order_by(ApiToken.id).limit(200)
        )
    )
    credentials = list_page(session, CREDENTIALS, page.caller, request, default_ordering="name")
    box = request.app.state.services.secret_box
    secrets_set = {c.id: sorted(box.open(c.secrets_encrypted)) for c in credentials.rows}
    rules = list(session.scalars(select(AlertRule).order_by(AlertRule.name).limit(500)))
    collectors = describe_collectors(
        session,
        list(session.scalars(select(RemoteCollector).order_by(RemoteCollector.name).limit(200))),
        timedelta(seconds=request.app.state.services.settings.collector.site_lease),
    )
    agencies = list(session.execute(select(Agency.id, Agency.name).order_by(Agency.name)))
    page.crumbs = crumbs(page)
    return render(
        request,
        page,
        "admin/index.html",
        tokens=tokens,
        credentials=credentials,
        secrets_set=secrets_set,
        rules=rules,
        collectors=collectors,
        roles=[r.value for r in Role],
        agencies=agencies,
        created=None,
    )


@router.post("/admin/tokens", dependencies=[Depends(check_csrf)])
def create_token(
    request: Request,
    page: Page,
    session: PageSession,
    name: Annotated[str, Form(max_length=150)],
    role: Annotated[Role, Form()],
    agency_id: Annotated[str, Form()] = "",
) -> Response:
    admin_only(page)
    assert page.caller is not None
    try:
        payload = TokenCreate(name=name, role=role, agency_id=int(agency_id) if agency_id.isdigit() else None)
    except ValidationError:
        raise Unprocessable(translate(page.language, "Give the token a name."), field="name") from None
    created = tokens_api.create(payload, session, page.caller)
    page.crumbs = crumbs(page, Crumb(translate(page.language, "New token")))
    return render(request, page, "admin/token_created.html", created=created)


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke_token(token_id: int, page: Page, session: PageSession) -> Response:
    admin_only(page)
    assert page.caller is not None
    tokens_api.revoke(session, token_id, page.caller)
    return RedirectResponse("/admin#tokens", status_code=303)


@router.get("/admin/facts")
def fact_review(request: Request, page: Page, session: PageSession) -> Response:
    """Pending discovered facts, field by field (inventory value, then what was seen)."""
    assert page.caller is not None
    if not page.can(Permission.write):
        raise Forbidden(translate(page.language, "Your role may not review discovered facts."))
    query = select(DiscoveredFact).where(DiscoveredFact.state == "pending")
    scope = facts_api._in_scope(page.caller)
    if scope is not None:
        query = query.where(scope)
    raw = request.query_params.get("offset", "0")
    offset = min(int(raw), 2**31) if raw.isdigit() else 0
    facts = list(session.scalars(query.order_by(DiscoveredFact.id).limit(100).offset(offset)))
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Discovered facts")))
    return render(request, page, "admin/facts.html", facts=facts, offset=offset, problems=[])


@router.post("/admin/facts/review", dependencies=[Depends(check_csrf)])
async def fact_decide(request: Request, page: Page, session: PageSession) -> Response:
    """Accept or reject the ticked facts; each through the API's own review, in a savepoint so a
    refused one leaves the others as decided and is reported."""
    assert page.caller is not None
    form = await request.form()
    decision = form.get("decision")
    ids = [int(v) for v in form.getlist("fact") if isinstance(v, str) and v.isdigit()]
    action = facts_api.accept_fact if decision == "accept" else facts_api.reject_fact
    problems: list[str] = []
    for fact_id in ids:
        savepoint = session.begin_nested()
        try:
            action(fact_id, session, page.caller, None)
            savepoint.commit()
        except ApiError as exc:
            savepoint.rollback()
            problems.append(f"#{fact_id}: {exc.message}")
    if problems:
        page.crumbs = crumbs(page, Crumb(translate(page.language, "Discovered facts")))
        facts = list(
            session.scalars(select(DiscoveredFact).where(DiscoveredFact.state == "pending").limit(100))
        )
        return render(request, page, "admin/facts.html", facts=facts, offset=0, problems=problems)
    return RedirectResponse("/admin/facts", status_code=303)
