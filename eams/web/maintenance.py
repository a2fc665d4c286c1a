"""/alerts/maintenance: the maintenance windows (silences of kind "maintenance"), once or every
week on chosen days, for a device, a site or an agency; created through the API's silence
resource, so the same role check applies (manage_alerting) and the creator is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from eams.alerts.matchers import Matcher
from eams.alerts.rules.spec import first_problem
from eams.alerts.schemas import SilenceCreate
from eams.alerts.silences import Recurrence
from eams.api.errors import Forbidden, Unprocessable
from eams.api.resources import create_one, list_objects
from eams.api.routes.alerts import SILENCES
from eams.auth import Permission
from eams.web.alerts import crumbs
from eams.web.context import Crumb, PageContext
from eams.web.labels import WEEKDAYS
from eams.web.listing import ListPage, query_items
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import N_, render, translate

router = APIRouter(include_in_schema=False)
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # the form's times are the province's local time
TARGETS = {"device": N_("Device"), "site": N_("Site"), "agency": N_("Agency")}


def may_read(page: PageContext) -> None:
    if not page.can(Permission.read_alerts):
        raise Forbidden(translate(page.language, "Your role does not see alerts."))


def local_time(page: PageContext, text: str, field: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=LOCAL)
    except ValueError:
        message = translate(page.language, "Give a date and time (DD/MM/YYYY HH:MM).")
        raise Unprocessable(f"{field}: {message}", field=field) from None


@router.get("/alerts/maintenance")
def maintenance_page(request: Request, page: Page, session: PageSession) -> Response:
    may_read(page)
    assert page.caller is not None
    params = [(k, v) for k, v in query_items(request) if k in ("offset", "limit")]
    api_params = [*params, ("kind", "maintenance"), ("ordering", "-id")]
    if "limit" not in dict(params):
        api_params.append(("limit", "50"))
    count, rows, limit, offset = list_objects(session, SILENCES, page.caller, api_params)
    listed = ListPage(count, rows, limit, offset, params)
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Maintenance windows")))
    return render(
        request,
        page,
        "alerts/maintenance.html",
        listed=listed,
        targets=TARGETS,
        weekdays=WEEKDAYS,
        may_change=page.can(Permission.manage_alerting),
    )


@router.post("/alerts/maintenance", dependencies=[Depends(check_csrf)])
def maintenance_create(
    request: Request,
    page: Page,
    session: PageSession,
    target: Annotated[str, Form(max_length=20)],
    value: Annotated[str, Form(max_length=200)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    weekday: Annotated[list[int] | None, Form()] = None,
    start_time: Annotated[str, Form(max_length=10)] = "",
    hours: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    may_read(page)
    assert page.caller is not None
    if not page.can(Permission.manage_alerting):
        raise Forbidden(translate(page.language, "Your role may not create silences."))
    if target not in TARGETS:
        raise Unprocessable(f"target: {translate(page.language, 'Choose a device, a site or an agency.')}")
    if not value.strip():
        raise Unprocessable(
            f"value: {translate(page.language, 'Name the device, site or agency.')}", field="value"
        )
    if not reason.strip():
        raise Unprocessable(translate(page.language, "Write the reason for the silence."), field="reason")
    values: dict[str, object] = {
        "kind": "maintenance",
        "matchers": [Matcher(name=target, value=value.strip())],
        "comment": reason.strip(),
        "starts_at": local_time(page, starts_at, "starts_at") if starts_at else dt.datetime.now(dt.UTC),
    }
    if ends_at:
        values["ends_at"] = local_time(page, ends_at, "ends_at")
    if weekday or start_time:
        try:
            seconds = float(hours) * 3600
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 7 * 24 * 3600:
            message = translate(page.language, "Give the window's length in hours (at most a week).")
            raise Unprocessable(f"hours: {message}", field="hours")
        values["recurrence"] = {"weekdays": weekday or [], "start": start_time, "duration": seconds}
    try:
        if "recurrence" in values:
            Recurrence.model_validate(values["recurrence"])
        payload = SilenceCreate.model_validate(values)
    except ValidationError as exc:
        where, sentence = first_problem(exc)
        raise Unprocessable(sentence, field=where) from None
    window = create_one(session, SILENCES, page.caller, request, payload)
    return RedirectResponse(f"/alerts/maintenance#window-{window.id}", status_code=303)
