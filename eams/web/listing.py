"""What every list page shares: the REST resource's own filters from the query string, plus the
few page-only filters an area adds as extra clauses, paged on the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from fastapi import Request
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from eams.api.resources import Resource, list_objects
from eams.auth import Principal

PAGE_SIZE = 50


@dataclass
class ListPage:
    count: int
    rows: list[Any]
    limit: int
    offset: int
    params: list[tuple[str, str]]  # the query string as given (for paging and sort links)

    @property
    def page_number(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, ceil(self.count / self.limit))

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.count else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    def value(self, name: str) -> str:
        return next((v for k, v in self.params if k == name), "")

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]


def query_items(request: Request) -> list[tuple[str, str]]:
    """The query string without empty values: an empty select in a GET form means "any"."""
    return [(k, v) for k, v in request.query_params.multi_items() if v != ""]


def list_page(
    session: Session,
    resource: Resource,
    caller: Principal,
    request: Request,
    *,
    page_only: Sequence[str] = (),
    extra: Sequence[ColumnElement[bool]] = (),
    default_ordering: str | None = None,
) -> ListPage:
    """One page of `resource` as GET /api/v1/<resource> would answer it for `caller` (same filters,
    same scope, same 400 for an unknown filter); `page_only` names parameters this page reads
    itself and turned into `extra` clauses."""
    params = query_items(request)
    api_params = [(k, v) for k, v in params if k not in page_only]
    if "limit" not in dict(api_params):
        api_params.append(("limit", str(PAGE_SIZE)))
    if default_ordering and "ordering" not in dict(api_params):
        api_params.append(("ordering", default_ordering))
    count, rows, limit, offset = list_objects(session, resource, caller, api_params, extra)
    return ListPage(count, rows, limit, offset, params)
