"""/admin/credentials: the credentials profiles (name, kind, owner agency, which secrets are set),
created and edited through the API's own resource, so the same role, agency-scope and completeness
checks apply. Secret fields are write-only: the form never holds a stored secret, and a secret left
blank on an edit keeps the stored one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.alerts.rules.spec import first_problem
from eams.api.errors import Forbidden, Unprocessable
from eams.api.params import PathId
from eams.api.resources import create_one, load, update_one
from eams.auth import Permission
from eams.web.admin import CREDENTIALS, crumbs
from eams.web.context import Crumb, PageContext
from eams.web.listing import list_page
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import N_, render, translate
from inventory.models import Agency, CredentialsProfile
from inventory.models.enums import CredentialKind, SnmpAuthProtocol, SnmpPrivProtocol
from inventory.schemas.credentials import SECRET_NAMES, CredentialsCreate, CredentialsUpdate

router = APIRouter(include_in_schema=False)

# The plain fields of the form, in the order shown; the secrets follow them.
PLAIN_FIELDS = (
    "name",
    "kind",
    "port",
    "username",
    "auth_protocol",
    "priv_protocol",
    "context",
    "timeout_s",
    "retries",
    "description",
    "owner_agency_id",
)
SECRET_LABELS = {
    "community": N_("SNMP community"),
    "auth_key": N_("SNMPv3 authentication key"),
    "priv_key": N_("SNMPv3 privacy key"),
    "password": N_("Password"),
    "private_key": N_("SSH private key"),
    "enable_secret": N_("Enable secret"),
}
# Fields an edit may empty (None in the PATCH); the others are left as stored when blank.
CLEARABLE = frozenset(
    {"port", "username", "auth_protocol", "priv_protocol", "context", "description", "owner_agency_id"}
)


class CredentialsForm(BaseModel):
    """The form as posted: every field a string, blank when left empty."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field("", max_length=200)
    kind: str = Field("", max_length=20)
    port: str = Field("", max_length=10)
    username: str = Field("", max_length=200)
    auth_protocol: str = Field("", max_length=20)
    priv_protocol: str = Field("", max_length=20)
    context: str = Field("", max_length=200)
    timeout_s: str = Field("", max_length=20)
    retries: str = Field("", max_length=10)
    description: str = Field("", max_length=4000)
    owner_agency_id: str = Field("", max_length=20)
    community: str = Field("", max_length=300)
    auth_key: str = Field("", max_length=300)
    priv_key: str = Field("", max_length=300)
    password: str = Field("", max_length=9000)
    private_key: str = Field("", max_length=9000)
    enable_secret: str = Field("", max_length=9000)


CredentialsFormData = Annotated[CredentialsForm, Form()]


def may_see(page: PageContext) -> None:
    if not page.can(Permission.read_secrets_meta):
        raise Forbidden(translate(page.language, "Your role may not see credentials profiles."))


def may_change(page: PageContext) -> None:
    if not page.can(Permission.manage_credentials):
        raise Forbidden(translate(page.language, "Your role may not change credentials profiles."))


def secrets_set(request: Request, profile: CredentialsProfile) -> list[str]:
    return sorted(request.app.state.services.secret_box.open(profile.secrets_encrypted))


def agency_choices(session: Session) -> list[Any]:
    return list(session.execute(select(Agency.id, Agency.name).order_by(Agency.name).limit(2000)))


def form_values(form: CredentialsForm, *, editing: bool) -> dict[str, Any]:
    """The form as a create or PATCH body: blank plain fields are absent on a create, and on an
    edit either cleared (optional fields, the owner: shared) or left as stored; blank secrets are
    always absent, so an edit keeps the stored secret (the form never shows one)."""
    values: dict[str, Any] = {}
    for name in PLAIN_FIELDS:
        text = getattr(form, name).strip()
        if text:
            values[name] = text
        elif editing and name in CLEARABLE:
            values[name] = None
    for name in SECRET_NAMES:
        secret = getattr(form, name)
        if secret != "":
            values[name] = secret
    return values


def validated(schema: type[BaseModel], values: dict[str, Any]) -> BaseModel:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        where, sentence = first_problem(exc)
        raise Unprocessable(sentence, field=where) from None


def render_form(
    request: Request, page: PageContext, session: Session, profile: CredentialsProfile | None
) -> Response:
    title = profile.name if profile is not None else translate(page.language, "New credentials profile")
    page.crumbs = crumbs(
        page, Crumb(translate(page.language, "Credentials profiles"), "/admin/credentials"), Crumb(title)
    )
    return render(
        request,
        page,
        "admin/credential_form.html",
        profile=profile,
        title=title,
        secrets=secrets_set(request, profile) if profile is not None else [],
        secret_labels=SECRET_LABELS,
        kinds=[k.value for k in CredentialKind],
        auth_protocols=[p.value for p in SnmpAuthProtocol],
        priv_protocols=[p.value for p in SnmpPrivProtocol],
        agencies=agency_choices(session),
    )


@router.get("/admin/credentials")
def credential_list(request: Request, page: Page, session: PageSession) -> Response:
    may_see(page)
    assert page.caller is not None
    listed = list_page(session, CREDENTIALS, page.caller, request, default_ordering="name")
    owners = dict(agency_choices(session))
    page.crumbs = crumbs(page, Crumb(translate(page.language, "Credentials profiles")))
    return render(
        request,
        page,
        "admin/credentials.html",
        listed=listed,
        owners=owners,
        secrets={c.id: secrets_set(request, c) for c in listed.rows},
        may_change=page.can(Permission.manage_credentials),
    )


@router.get("/admin/credentials/new")
def credential_new(request: Request, page: Page, session: PageSession) -> Response:
    may_change(page)
    return render_form(request, page, session, None)


@router.post("/admin/credentials", dependencies=[Depends(check_csrf)])
def credential_create(
    request: Request, page: Page, session: PageSession, form: CredentialsFormData
) -> Response:
    may_change(page)
    assert page.caller is not None
    payload = validated(CredentialsCreate, form_values(form, editing=False))
    profile = create_one(session, CREDENTIALS, page.caller, request, payload)
    return RedirectResponse(f"/admin/credentials/{profile.id}", status_code=303)


@router.get("/admin/credentials/{profile_id}")
def credential_edit(request: Request, profile_id: PathId, page: Page, session: PageSession) -> Response:
    may_see(page)
    assert page.caller is not None
    profile = load(session, CREDENTIALS, page.caller, profile_id)
    if not page.can(Permission.manage_credentials):
        raise Forbidden(translate(page.language, "Your role may not change credentials profiles."))
    return render_form(request, page, session, profile)


@router.post("/admin/credentials/{profile_id}", dependencies=[Depends(check_csrf)])
def credential_update(
    request: Request, profile_id: PathId, page: Page, session: PageSession, form: CredentialsFormData
) -> Response:
    may_change(page)
    assert page.caller is not None
    payload = validated(CredentialsUpdate, form_values(form, editing=True))
    update_one(session, CREDENTIALS, page.caller, request, profile_id, payload)
    return RedirectResponse(f"/admin/credentials/{profile_id}", status_code=303)
