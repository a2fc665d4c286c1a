"""The change log (read-only) and custom field definitions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from inventory.models.changes import ChangeAction, CustomFieldType
from inventory.schemas.common import Input, Output, partial, text


class ObjectChangeRead(Output):
    id: int
    time: datetime
    actor: str
    action: ChangeAction
    object_type: str
    object_id: int
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class CustomFieldCreate(Input):
    object_type: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,50}$")] = Field(
        description="Table the field belongs to: device, agency, site ..."
    )
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$")]
    label: text(100) | None = None  # type: ignore[valid-type]
    type: CustomFieldType
    required: bool = False
    choices: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=100)]], Field(max_length=200)
    ] = Field(default_factory=list)
    description: text(500) | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _choices_for_select(self) -> CustomFieldCreate:
        if self.type is CustomFieldType.select and not self.choices:
            raise ValueError("a select field needs choices")
        return self


CustomFieldUpdate = partial(CustomFieldCreate)


class CustomFieldRead(Output):
    id: int
    object_type: str
    name: str
    label: str | None
    type: CustomFieldType
    required: bool
    choices: list[str]
    description: str | None
    created_at: datetime
    updated_at: datetime
