"""Saved filters of the device list: a name for the current query string, kept per person (or per
token), shown as links above the list and deletable by their owner only.

A saved filter is only a bookmark: opening it runs the list with the caller's own role and scope,
so sharing a name or a link never widens what anyone sees."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.api.errors import BadRequest, NotFound, Unprocessable
from eams.auth import Principal
from eams.web.context import PageContext
from eams.web.models import SavedFilter
from eams.web.session import Page, PageSession, check_csrf
from eams.web.templating import translate

router = APIRouter(include_in_schema=False)
DEVICES = "/devices"
MAX_PER_OWNER = 50
# Paging is where one is in the list, not what is asked for.
NOT_SAVED = ("offset", "limit")


def owner_of(caller: Principal) -> str | None:
    if caller.user_id is not None:
        return f"user:{caller.user_id}"
    if caller.token_id is not None:
        return f"token:{caller.token_id}"
    return None


def saved_filters(session: Session, caller: Principal | None, page: str = DEVICES) -> list[SavedFilter]:
    owner = owner_of(caller) if caller is not None else None
    if owner is None:
        return []
    query = select(SavedFilter).where(SavedFilter.owner == owner, SavedFilter.page == page)
    return list(session.scalars(query.order_by(SavedFilter.name).limit(MAX_PER_OWNER)))


def kept_query(raw: str) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(raw, keep_blank_values=False) if k not in NOT_SAVED])


def owner_or_refuse(page: PageContext) -> str:
    assert page.caller is not None
    owner = owner_of(page.caller)
    if owner is None:
        message = translate(page.language, "Sign in with an account or a token to save filters.")
        raise BadRequest(message, field="name")
    return owner


@router.post("/devices/saved-filters", dependencies=[Depends(check_csrf)])
def save_filter(
    page: Page,
    session: PageSession,
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    owner = owner_or_refuse(page)
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise Unprocessable(
            translate(page.language, "Give the filter a name of 1 to 100 characters."), field="name"
        )
    kept = kept_query(query)
    found = session.scalar(
        select(SavedFilter).where(
            SavedFilter.owner == owner, SavedFilter.page == DEVICES, SavedFilter.name == name
        )
    )
    if found is not None:
        found.query = kept  # the same name again: the newer query replaces the older
    else:
        if len(saved_filters(session, page.caller)) >= MAX_PER_OWNER:
            message = translate(page.language, "You have %(count)s saved filters; delete one first.")
            raise Unprocessable(message % {"count": MAX_PER_OWNER}, field="name")
        session.add(SavedFilter(owner=owner, page=DEVICES, name=name, query=kept))
    return RedirectResponse(f"{DEVICES}?{kept}" if kept else DEVICES, status_code=303)


@router.post("/devices/saved-filters/{filter_id}/delete", dependencies=[Depends(check_csrf)])
def delete_filter(page: Page, session: PageSession, filter_id: int = Path(ge=1, le=2**31 - 1)) -> Response:
    owner = owner_or_refuse(page)
    found = session.get(SavedFilter, filter_id)
    if found is None or found.owner != owner:  # another person's filter is not there for you
        raise NotFound(translate(page.language, "There is no such saved filter."), field="filter_id")
    session.delete(found)
    return RedirectResponse(DEVICES, status_code=303)
