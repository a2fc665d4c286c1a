"""Agencies and administrative units."""

from __future__ import annotations

from datetime import date

from pydantic import model_validator

from inventory.models.enums import AgencyKind
from inventory.schemas.common import Code, Description, Name, ObjectId, ShortText, Stored, Tagging, partial


class AgencyCreate(Tagging):
    name: Name
    kind: AgencyKind
    short_name: ShortText | None = None
    code: Code | None = None
    parent_id: ObjectId | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: ObjectId | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> AgencyCreate:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


AgencyUpdate = partial(AgencyCreate)


class AgencyRead(Stored):
    name: str
    kind: AgencyKind
    short_name: str | None
    code: str | None
    parent_id: int | None
    valid_from: date | None
    valid_to: date | None
    successor_id: int | None
    description: str | None
