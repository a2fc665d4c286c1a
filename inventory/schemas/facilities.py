"""Sites, locations, racks."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from inventory.models.enums import SiteKind
from inventory.schemas.common import Code, Description, Name, ObjectId, Stored, Tagging, partial, text


class SiteCreate(Tagging):
    name: Name
    kind: SiteKind
    code: Code | None = None
    agency_id: ObjectId | None = None
    address: text(500) | None = None  # type: ignore[valid-type]
    description: Description | None = None


SiteUpdate = partial(SiteCreate)


class SiteRead(Stored):
    name: str
    kind: SiteKind
    code: str | None
    agency_id: int | None
    address: str | None
    description: str | None


class LocationCreate(Tagging):
    site_id: ObjectId
    name: Name
    description: Description | None = None


LocationUpdate = partial(LocationCreate)


class LocationRead(Stored):
    site_id: int
    name: str
    description: str | None


class RackCreate(Tagging):
    site_id: ObjectId
    name: text(100, 1)  # type: ignore[valid-type]
    location_id: ObjectId | None = None
    u_height: Annotated[int, Field(ge=1, le=60)] = 42
    description: Description | None = None


RackUpdate = partial(RackCreate)


class RackRead(Stored):
    site_id: int
    location_id: int | None
    name: str
    u_height: int
    description: str | None
