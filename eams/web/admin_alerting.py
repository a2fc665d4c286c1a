"""/admin/rules (the alert rules, each enabled or disabled with a button) and /admin/routing (the
receivers and the routing tree as GET /api/v1/alert-routing answers it: secrets as ********).
Reads and writes go through the API's own resource and routing loader, so the same role checks
apply: reading needs read_alerts, a toggle manage_alerting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from eams.alerts.engine import load_routing
from eams.alerts.models import AlertRouting
from eams.alerts.schemas import RuleUpdate
from eams.api.errors import Forbidden
from eams.api.params import PathId
from eams.api.resources import update_one
from eams.api.routes.alerts import RULES
from eams.auth import Permission
from eams.web.admin import crumbs
from eams.web.context import Crumb, PageContext
from eams.web.listing import list_page
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import render, translate

router = APIRouter(include_in_schema=False)


def may_read(page: PageContext) -> None:
    if not page.can(Permission.read_alerts):
        raise Forbidden(translate(page.language, "Your role does not see alerts."))


@router.get("/admin/rules")
def rule_list(request: Request, page: Page, session: PageSession) -> Response:
    may_read(page)
    assert page.caller is not None
    listed = list_page(session, RULES, page.caller, request, default_ordering="name")
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Alert rules")))
    return render(
        request,
        page,
        "admin/rules.html",
        listed=listed,
        may_change=page.can(Permission.manage_alerting),
    )


@router.post("/admin/rules/{rule_id}/enabled", dependencies=[Depends(check_csrf)])
def rule_toggle(
    request: Request,
    rule_id: PathId,
    page: Page,
    session: PageSession,
    enabled: Annotated[bool, Form()],
) -> Response:
    may_read(page)
    assert page.caller is not None
    if not page.can(Permission.manage_alerting):
        raise Forbidden(translate(page.language, "Your role may not change alert rules."))
    update_one(session, RULES, page.caller, request, rule_id, RuleUpdate.model_validate({"enabled": enabled}))
    return RedirectResponse(f"/admin/rules#rule-{rule_id}", status_code=303)


def channel_settings(receiver: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(kind, settings) of one redacted receiver: its single channel and what it is given."""
    for kind in ("email", "webhook", "log"):
        if kind in receiver:
            return kind, dict(receiver[kind] or {})
    return "", {}


@router.get("/admin/routing")
def routing_page(request: Request, page: Page, session: PageSession) -> Response:
    may_read(page)
    row = session.scalar(select(AlertRouting).order_by(AlertRouting.id.desc()).limit(1))
    # The same document the API's GET answers: the secrets replaced by ********.
    document = load_routing(row, request.app.state.services.secret_box).redacted()
    receivers = [(r["name"], *channel_settings(r)) for r in document["receivers"]]
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Alert routing")))
    return render(
        request,
        page,
        "admin/routing.html",
        receivers=receivers,
        route=document["route"],
        updated_at=row.updated_at if row is not None else None,
        updated_by=row.updated_by if row is not None else None,
    )
