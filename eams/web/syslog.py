"""/syslog: the stored syslog messages, newest first, paged on the server and filtered by device,
severity (that one or worse), vendor format, event, free text and a range of days.

It lists what `GET /api/v1/syslog` lists: the same resource (`MESSAGES`), the same filters, the
same role (whoever reads alerts) and agency scope; only the device name and the days are the
page's own filters, turned into clauses here."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, select

from collectors.syslog.component import SyslogComponent, text_fields_of
from collectors.syslog.formats import SHIPPED_DIR, FormatError, load_formats
from collectors.syslog.header import SEVERITY_NAMES, decode
from collectors.syslog.models import SyslogMessage
from eams.api.errors import BadRequest, Forbidden
from eams.api.resources import list_objects
from eams.api.routes.syslog import MESSAGES
from eams.auth import Permission
from eams.components.syslog import EXTRAS_KEY as SYSLOG_KEY
from eams.i18n.format import LOCAL_ZONE
from eams.services import Services
from eams.web.alerts import device_names
from eams.web.context import Crumb, PageContext
from eams.web.listing import PAGE_SIZE, ListPage, query_items
from eams.web.session import Page, PageSession
from eams.web.templating import N_, render, translate
from inventory.dates import parse_date
from inventory.models import Device

router = APIRouter(include_in_schema=False)
PAGE_ONLY = ("device", "since", "until")
SEVERITY_WORDS = (
    N_("Emergency"),
    N_("Alert"),
    N_("Critical"),
    N_("Error"),
    N_("Warning"),
    N_("Notice"),
    N_("Information"),
    N_("Debug"),
)
FORMATS = sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))


def local_day(page: PageContext, name: str, value: str) -> dt.datetime:
    """The start of a day (DD/MM/YYYY as the form asks, or YYYY-MM-DD) in the province's time zone."""
    try:
        day = parse_date(value.strip())
        if day is None:
            raise ValueError(value)
    except ValueError:
        message = translate(page.language, "%(field)s is not a date.") % {"field": name}
        raise BadRequest(message, field=name) from None
    return dt.datetime.combine(day, dt.time(), LOCAL_ZONE).astimezone(dt.UTC)


def page_clauses(page: PageContext, params: dict[str, str]) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if name := params.get("device", "").strip():
        named = select(Device.id).where(Device.name.ilike(f"%{name}%"))
        clauses.append(SyslogMessage.device_id.in_(named))
    if since := params.get("since"):
        clauses.append(SyslogMessage.received_at >= local_day(page, "since", since))
    if until := params.get("until"):
        end = local_day(page, "until", until) + dt.timedelta(days=1)  # the whole last day
        clauses.append(SyslogMessage.received_at < end)
    return clauses


def api_params(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The API's filters as `GET /api/v1/syslog` reads them (a severity by name is its number)."""
    params = []
    for key, value in items:
        if key in PAGE_ONLY:
            continue
        if key.startswith("severity") and value in SEVERITY_NAMES:
            value = str(SEVERITY_NAMES.index(value))
        params.append((key, value))
    if "ordering" not in dict(params):
        params.append(("ordering", "-id"))
    if "limit" not in dict(params):
        params.append(("limit", str(PAGE_SIZE)))
    return params


@router.get("/syslog")
def syslog_list(request: Request, page: Page, session: PageSession) -> Response:
    assert page.caller is not None
    if not page.can(Permission.read_alerts):
        raise Forbidden(translate(page.language, "Your role does not see alerts."))
    items = query_items(request)
    clauses = page_clauses(page, dict(items))
    count, rows, limit, offset = list_objects(session, MESSAGES, page.caller, api_params(items), clauses)
    listed = ListPage(count, list(rows), limit, offset, items)
    text_fields = running_text_fields(request.app.state.services)
    page.crumbs = [
        Crumb(translate(page.language, "Alerts"), "/alerts"),
        Crumb(translate(page.language, "Syslog")),
    ]
    return render(
        request,
        page,
        "alerts/syslog.html",
        listed=listed,
        devices=device_names(session, {m.device_id for m in listed.rows}),
        severities=list(zip(SEVERITY_NAMES, SEVERITY_WORDS, strict=True)),
        formats=FORMATS,
        raw_text=raw_text,
        summary=lambda m: summary_of(m, text_fields),
    )


def raw_text(message: Any) -> str:
    return decode(message.raw or b"")


def running_text_fields(services: Services) -> dict[str, list[str]]:
    """The formats' `text_fields` as the running syslog intake has them; on an instance without
    one (syslog only forwarded by remote collectors, or off), from the format files."""
    component = services.extras.get(SYSLOG_KEY)
    if isinstance(component, SyslogComponent):
        return component.text_fields()
    return text_fields_from_files(services.settings.syslog.formats_dir)


@functools.cache
def text_fields_from_files(extra_dir: Path | None) -> dict[str, list[str]]:
    try:
        formats = load_formats((extra_dir,) if extra_dir else ())
    except FormatError:  # the intake reports a broken extra folder; the page keeps the shipped ones
        formats = load_formats()
    return text_fields_of(formats)


def summary_of(message: Any, text_fields: dict[str, list[str]]) -> str:
    """What a person reads in the list: the device's own sentence when its format names one
    (a FortiGate's `msg`), else the message as received."""
    fields = message.fields or {}
    for name in text_fields.get(message.format or "", ()):
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return str(message.message)
