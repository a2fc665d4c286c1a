"""/admin/discovery: the discovery jobs (newest first), a form to start one with the SNMP profiles
the caller may use, and a job's page whose progress refreshes itself (htmx, every 2 s) while the
job is queued or running. Starting and reading call the API's own functions, so the same role and
scope rules apply (a scoped caller sees only the jobs it started)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.discovery.models import DiscoveryJob, JobState
from collectors.snmp.targets import _VERSIONS
from eams.alerts.rules.spec import first_problem
from eams.api.authorization import usable_profiles
from eams.api.errors import Forbidden, NotFound, Unprocessable
from eams.api.params import PathId
from eams.api.routes import discovery_jobs as jobs_api
from eams.auth import Permission
from eams.web.admin import crumbs
from eams.web.context import Crumb, PageContext
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import N_, render, translate
from inventory.models import CredentialsProfile

router = APIRouter(include_in_schema=False)
# The states in which a job's page keeps asking for its progress.
LIVE = frozenset({JobState.queued, JobState.running})
JOB_STATE_LABELS = {
    "queued": N_("Queued"),
    "running": N_("Running"),
    "finished": N_("Finished"),
    "failed": N_("Failed"),
    "interrupted": N_("Interrupted"),
}


def may_use(page: PageContext) -> None:
    if not page.can(Permission.write):
        raise Forbidden(translate(page.language, "Your role may not run discovery."))


def profile_names(session: Session, page: PageContext) -> list[str]:
    """The SNMP profiles the caller may sweep with, as the API's start resolves them."""
    assert page.caller is not None
    query = select(CredentialsProfile.name).where(CredentialsProfile.kind.in_(list(_VERSIONS)))
    usable = usable_profiles(page.caller)
    if usable is not None:
        query = query.where(usable)
    return list(session.scalars(query.order_by(CredentialsProfile.name).limit(500)))


def visible_job(session: Session, page: PageContext, job_id: int) -> DiscoveryJob:
    assert page.caller is not None
    job = session.scalar(jobs_api._visible_jobs(page.caller).where(DiscoveryJob.id == job_id))
    if job is None:
        raise NotFound(translate(page.language, "There is no such discovery job."))
    return job


@router.get("/admin/discovery")
def job_list(request: Request, page: Page, session: PageSession) -> Response:
    may_use(page)
    assert page.caller is not None
    jobs = list(
        session.scalars(jobs_api._visible_jobs(page.caller).order_by(DiscoveryJob.id.desc()).limit(100))
    )
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Discovery jobs")))
    return render(
        request,
        page,
        "admin/discovery.html",
        jobs=jobs,
        profiles=profile_names(session, page),
        live=LIVE,
        job_state_labels=JOB_STATE_LABELS,
    )


@router.post("/admin/discovery", dependencies=[Depends(check_csrf)])
async def job_start(
    request: Request,
    page: Page,
    ranges: Annotated[str, Form(max_length=20000)],
    credentials: Annotated[list[str] | None, Form()] = None,
    concurrency: Annotated[int, Form(ge=1, le=1024)] = 64,
    rate: Annotated[float, Form(gt=0, le=100_000)] = 100.0,
    timeout_s: Annotated[float, Form(ge=0.1, le=30)] = 1.0,
    retries: Annotated[int, Form(ge=0, le=5)] = 0,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Start through the API's own start (its range checks, its profile resolution)."""
    may_use(page)
    assert page.caller is not None
    given = [line.strip() for line in ranges.replace(",", "\n").splitlines() if line.strip()]
    values: dict[str, Any] = {
        "ranges": given,
        "credentials": [name for name in credentials or [] if name],
        "concurrency": concurrency,
        "rate": rate,
        "timeout_s": timeout_s,
        "retries": retries,
        "confirm": confirm,
    }
    try:
        body = jobs_api.JobRequest.model_validate(values)
    except ValidationError as exc:
        where, sentence = first_problem(exc)
        raise Unprocessable(sentence, field=where) from None
    job = await jobs_api.start_job(body, request.app.state.services, page.caller)
    return RedirectResponse(f"/admin/discovery/{job.id}", status_code=303)


@router.get("/admin/discovery/{job_id}")
def job_page(request: Request, job_id: PathId, page: Page, session: PageSession) -> Response:
    may_use(page)
    job = visible_job(session, page, job_id)
    page.crumbs = crumbs(
        page,
        Crumb(translate(page.language, "Discovery jobs"), "/admin/discovery"),
        Crumb(f"#{job.id}"),
    )
    return render(
        request, page, "admin/discovery_job.html", job=job, live=LIVE, job_state_labels=JOB_STATE_LABELS
    )


@router.get("/admin/discovery/{job_id}/progress")
def job_progress(request: Request, job_id: PathId, page: Page, session: PageSession) -> Response:
    """The progress fragment the job page swaps in; without the polling trigger once the job ended."""
    may_use(page)
    job = visible_job(session, page, job_id)
    return render(
        request, page, "admin/_discovery_progress.html", job=job, live=LIVE, job_state_labels=JOB_STATE_LABELS
    )
