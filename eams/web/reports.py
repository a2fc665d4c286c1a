"""/reports: the planners' reports as pages (the same functions as /api/v1/reports, the same agency
scope), each downloadable as CSV and XLSX with headers in the reader's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from eams.api.errors import BadRequest, NotFound
from eams.api.export import render as export
from eams.auth import Principal
from eams.i18n.format import LOCAL_ZONE
from eams.web.context import Crumb, PageContext
from eams.web.session import Page, PageSession
from eams.web.templating import N_, render, translate
from eams.web.timeline import roadmap_timeline
from inventory.dates import parse_date
from inventory.reports.duplicates import DEFAULT_MODELS, duplicates_report
from inventory.reports.lifecycle import lifecycle_report
from inventory.reports.portfolio import portfolio_report
from inventory.reports.roadmap import roadmap_report
from inventory.reports.security import security_report
from inventory.reports.table import Report

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ReportPage:
    key: str
    label: str  # catalogue msgid
    build: Callable[[Session, Principal, dt.date], Report]


REPORTS: tuple[ReportPage, ...] = (
    ReportPage("lifecycle", N_("Lifecycle"), lambda s, c, d: lifecycle_report(s, d, 90, c.agency_ids)),
    ReportPage(
        "duplicates", N_("Duplicates"), lambda s, c, d: duplicates_report(s, DEFAULT_MODELS, c.agency_ids)
    ),
    ReportPage("security", N_("Security levels"), lambda s, c, d: security_report(s, c.agency_ids)),
    ReportPage("roadmap", N_("Roadmap"), lambda s, c, d: roadmap_report(s, d, None, c.agency_ids)),
    ReportPage("portfolio", N_("Portfolio"), lambda s, c, d: portfolio_report(s, c.agency_ids)),
)
BY_KEY = {r.key: r for r in REPORTS}


def chosen(name: str) -> ReportPage:
    found = BY_KEY.get(name)
    if found is None:
        raise NotFound(f"there is no report {name!r}; choose one of {', '.join(BY_KEY)}")
    return found


@router.get("/reports")
def report_index(request: Request, page: Page) -> Response:
    page.crumbs = [Crumb(translate(page.language, "Reports"))]
    return render(request, page, "reports/index.html", reports=REPORTS)


def as_of_day(page: PageContext, text: str | None) -> dt.date:
    """The report's day: DD/MM/YYYY as the form asks (YYYY-MM-DD also, for older bookmarks);
    today in the province when none is given."""
    try:
        day = parse_date((text or "").strip())
    except ValueError:
        message = translate(page.language, "%(field)s is not a date.") % {"field": "as_of"}
        raise BadRequest(message, field="as_of") from None
    return day or dt.datetime.now(LOCAL_ZONE).date()


@router.get("/reports/{name}")
def report_page(
    request: Request,
    name: str,
    page: Page,
    session: PageSession,
    as_of: str | None = Query(None, max_length=10),
) -> Response:
    assert page.caller is not None
    entry = chosen(name)
    day = as_of_day(page, as_of)
    report = entry.build(session, page.caller, day)
    page.crumbs = [
        Crumb(translate(page.language, "Reports"), "/reports"),
        Crumb(translate(page.language, entry.label)),
    ]
    timeline = roadmap_timeline(session, page.caller.agency_ids, day) if name == "roadmap" else None
    return render(
        request,
        page,
        "reports/report.html",
        entry=entry,
        report=report,
        as_of=day,
        reports=REPORTS,
        timeline=timeline,
    )


@router.get("/reports/{name}/download")
def report_download(
    name: str,
    page: Page,
    session: PageSession,
    format: str = Query("xlsx", max_length=10),
    table: str | None = Query(None, max_length=50),
    as_of: str | None = Query(None, max_length=10),
) -> Response:
    assert page.caller is not None
    if format not in ("csv", "xlsx"):
        raise BadRequest("format must be csv or xlsx", field="format")
    entry = chosen(name)
    report = entry.build(session, page.caller, as_of_day(page, as_of))
    return export(report, format, table, name, language=page.language)
