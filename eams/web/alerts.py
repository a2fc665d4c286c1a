"""/alerts (the list by state, filters), /alerts/{id} (timeline, acknowledge, silence from it),
/silences (with their creator and reason) and /traps (received and unknown traps).

Reads and writes go through the alert API's own functions and resources: the same visibility
(security officers see security alerts, operators operational ones, scoped tokens their agencies'
devices) and the same permission to acknowledge or silence."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import ColumnElement, select

from eams.alerts.matchers import Matcher
from eams.alerts.models import Alert, AlertHistory
from eams.alerts.schemas import AckBody, SilenceCreate
from eams.api.errors import BadRequest, Forbidden, Unprocessable
from eams.api.params import PathId
from eams.api.resources import create_one
from eams.api.routes.alerts import ALERTS, SILENCES, _load_alert, _visibility, acknowledge
from eams.api.routes.inventory import device_scope
from eams.api.routes.traps import TRAPS, UNKNOWN
from eams.auth import Permission, Principal
from eams.web.context import Crumb, PageContext
from eams.web.labels import WEEKDAYS
from eams.web.listing import list_page
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import N_, render, translate
from inventory.models import Agency, Device, Site

router = APIRouter(include_in_schema=False)

# The tabs of /alerts: each a bookmarkable `view=` turned into clauses.
VIEWS: tuple[tuple[str, str], ...] = (
    ("firing", N_("Firing")),
    ("pending", N_("Pending")),
    ("acknowledged", N_("Acknowledged")),
    ("suppressed", N_("Suppressed")),
    ("silenced", N_("Silenced")),
    ("resolved", N_("Resolved")),
    ("all", N_("All")),
)
PAGE_ONLY = ("view", "agency", "site")
SILENCE_HOURS = (1, 4, 8, 24, 72, 168)


def view_clauses(request: Request) -> list[ColumnElement[bool]]:
    view = request.query_params.get("view") or "firing"
    clauses: list[ColumnElement[bool]] = []
    if view == "firing":
        clauses += [Alert.state == "firing", Alert.acked_by.is_(None), Alert.silenced.is_(False)]
    elif view == "pending":
        clauses.append(Alert.state == "pending")
    elif view == "acknowledged":
        clauses += [Alert.state == "firing", Alert.acked_by.is_not(None)]
    elif view == "suppressed":
        clauses += [Alert.state == "firing", Alert.suppressed.is_(True)]
    elif view == "silenced":
        clauses += [Alert.state == "firing", Alert.silenced.is_(True)]
    elif view == "resolved":
        clauses.append(Alert.state == "resolved")
    elif view != "all":
        raise BadRequest("view must be one of " + ", ".join(key for key, _ in VIEWS), field="view")
    agencies = [int(v) for v in request.query_params.getlist("agency") if v.isdigit()]
    if agencies:
        clauses.append(Alert.device_id.in_(select(Device.id).where(device_scope(frozenset(agencies)))))
    sites = [int(v) for v in request.query_params.getlist("site") if v.isdigit()]
    if sites:
        clauses.append(Alert.device_id.in_(select(Device.id).where(Device.site_id.in_(sites))))
    return clauses


def device_names(session: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(Device.id, Device.name).where(Device.id.in_(wanted))).all())


def may_ack(caller: Principal, alert: Alert) -> bool:
    needed = Permission.ack_security if alert.category == "security" else Permission.ack_operational
    return caller.can(needed) and alert.state == "firing" and alert.acked_by is None


def crumbs(page: PageContext, *more: Crumb) -> list[Crumb]:
    return [Crumb(translate(page.language, "Alerts"), "/alerts"), *more]


@router.get("/alerts")
def alert_list(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    if not page.can(Permission.read_alerts):
        raise Forbidden(translate(page.language, "Your role does not see alerts."))
    listed = list_page(
        session,
        ALERTS,
        page.caller,
        request,
        page_only=PAGE_ONLY,
        extra=[_visibility(page.caller), *view_clauses(request)],
        default_ordering="-id",
    )
    agencies = select(Agency.id, Agency.name).order_by(Agency.name)
    if page.caller.agency_ids is not None:
        agencies = agencies.where(Agency.id.in_(page.caller.agency_ids))
    page.crumbs = crumbs(page)
    template = "alerts/_table.html" if request.headers.get("HX-Request") else "alerts/list.html"
    return render(
        request,
        page,
        template,
        listed=listed,
        views=VIEWS,
        view=request.query_params.get("view") or "firing",
        devices=device_names(session, {a.device_id for a in listed.rows}),
        agencies=[tuple(r) for r in session.execute(agencies)],
        sites=[tuple(r) for r in session.execute(select(Site.id, Site.name).order_by(Site.name))],
    )


@router.get("/alerts/{alert_id:int}")  # digits only: /alerts/maintenance is its own page
def alert_page(request: Request, alert_id: PathId, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    if not page.can(Permission.read_alerts):
        raise Forbidden(translate(page.language, "Your role does not see alerts."))
    alert = _load_alert(session, page.caller, alert_id)
    history = list(
        session.scalars(
            select(AlertHistory).where(AlertHistory.alert_id == alert.id).order_by(AlertHistory.id)
        )
    )
    device = session.get(Device, alert.device_id) if alert.device_id else None
    page.crumbs = crumbs(page, Crumb(f"#{alert.id}"))
    return render(
        request,
        page,
        "alerts/detail.html",
        alert=alert,
        history=history,
        device=device,
        may_ack=may_ack(page.caller, alert),
        may_silence=page.can(Permission.manage_alerting),
        matchers=silence_matchers(alert),
        hours=SILENCE_HOURS,
    )


@router.post("/alerts/{alert_id}/ack", dependencies=[Depends(check_csrf)])
def alert_ack(
    request: Request,
    alert_id: PathId,
    page: Page,
    session: PageSession,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    assert page.caller is not None
    if not comment.strip():
        raise Unprocessable(
            translate(page.language, "Write a comment with the acknowledgement."), field="comment"
        )
    acknowledge(request, alert_id, session, AckBody(comment=comment.strip()), page.caller)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


def silence_matchers(alert: Alert) -> list[Matcher]:
    """What a silence made from this alert mutes: this rule on this device (and entity)."""
    matchers = [Matcher(name="alertname", value=alert.rule_name)]
    device = (alert.labels or {}).get("device")
    if device:
        matchers.append(Matcher(name="device", value=str(device)))
    return matchers


@router.post("/alerts/{alert_id}/silence", dependencies=[Depends(check_csrf)])
def alert_silence(
    request: Request,
    alert_id: PathId,
    page: Page,
    session: PageSession,
    hours: Annotated[int, Form(ge=1, le=24 * 31)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    assert page.caller is not None
    alert = _load_alert(session, page.caller, alert_id)
    if not page.can(Permission.manage_alerting):
        raise Forbidden(translate(page.language, "Your role may not create silences."))
    now = dt.datetime.now(dt.UTC)
    try:
        payload = SilenceCreate(
            matchers=silence_matchers(alert),
            starts_at=now,
            ends_at=now + dt.timedelta(hours=hours),
            comment=reason.strip(),
        )
    except ValidationError:
        raise Unprocessable(
            translate(page.language, "Write the reason for the silence."), field="reason"
        ) from None
    silence = create_one(session, SILENCES, page.caller, request, payload)
    session.add(
        AlertHistory(
            alert_id=alert.id, at=now, action="silence_created", actor=page.caller.actor, detail=reason
        )
    )
    return RedirectResponse(f"/silences#silence-{silence.id}", status_code=303)


@router.get("/silences")
def silence_list(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    if not page.can(Permission.read_alerts):
        raise Forbidden(translate(page.language, "Your role does not see alerts."))
    listed = list_page(session, SILENCES, page.caller, request, default_ordering="-id")
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Silences and maintenance windows")))
    return render(
        request,
        page,
        "alerts/silences.html",
        listed=listed,
        now=dt.datetime.now(dt.UTC),
        weekdays=WEEKDAYS,
    )


@router.get("/traps")
def trap_list(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    if not page.can(Permission.read_alerts):
        raise Forbidden(translate(page.language, "Your role does not see alerts."))
    unknown = request.query_params.get("unknown") == "1"
    resource = UNKNOWN if unknown else TRAPS
    listed = list_page(
        session,
        resource,
        page.caller,
        request,
        page_only=("unknown",),
        default_ordering="-last_seen" if unknown else "-received_at",
    )
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Traps")))
    return render(
        request,
        page,
        "alerts/traps.html",
        listed=listed,
        unknown=unknown,
        devices=device_names(session, {t.device_id for t in listed.rows}),
    )
