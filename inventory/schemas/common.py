"""Field types and base models shared by every inventory schema."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import types
import typing
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    create_model,
    field_validator,
)

from inventory.dates import day_month_year
from inventory.text import nfc, nfc_deep

__all__ = ["Boundary", "Input", "nfc", "nfc_deep"]


class Boundary(BaseModel):
    """Anything that comes from outside, checked the same way whoever reads it (API, CSV, rules):
    text composed to NFC, so that two spellings of one Vietnamese name are one name; `null` refused
    where a field cannot be empty (a PATCH leaves such a field out instead); `true`/`false` refused
    where a number is expected (pydantic would read them as 1 and 0); and DD/MM/YYYY taken in date
    fields, as the CSV import and every page show dates."""

    @field_validator("*", mode="before")
    @classmethod
    def _at_the_boundary(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return nfc_deep(value)
        accepted = _accepted_types(cls, info.field_name)
        if value is None:
            if accepted and type(None) not in accepted:
                raise ValueError("must not be null; leave the field out to keep the stored value")
            return value
        if isinstance(value, bool):
            if accepted & {int, float} and bool not in accepted:
                raise ValueError("must be a number, not true or false")
            return value
        if isinstance(value, str) and dt.date in accepted and dt.datetime not in accepted:
            found = day_month_year(value)
            if found is not None:
                return found
        return nfc_deep(value)


@functools.cache
def _accepted_types(model: type[BaseModel], field_name: str) -> frozenset[Any]:
    info = model.model_fields.get(field_name)
    return frozenset() if info is None else frozenset(_flatten(info.annotation))


def _flatten(annotation: Any) -> set[Any]:
    """The plain types a field accepts at its top level: `Annotated[int, ...] | None` -> {int, None}."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found: set[Any] = set()
        for member in typing.get_args(annotation):
            found |= _flatten(member)
        return found
    if annotation is None:
        return {type(None)}
    if annotation is Any:
        return {Any}
    return {origin or annotation}


class Input(Boundary):
    """Request bodies: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_validator("*", mode="after")
    @classmethod
    def _aware_datetimes(cls, value: Any) -> Any:
        # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC, and
        # the API promises RFC 3339 date-times (with an offset).
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _no_control_chars(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value) or "\x00" in value:
        raise ValueError("must not contain control characters")
    return value


def text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length, strip_whitespace=True),
        AfterValidator(_no_control_chars),
    ]


Name = text(255, 1)
ShortText = text(100, 1)
Code = text(50, 1)
Description = text(2000)


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from None


def _ip_interface(value: str) -> str:
    try:
        return str(ipaddress.ip_interface(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an address with prefix, like 10.0.0.1/24") from None


IPAddressText = Annotated[str, StringConstraints(max_length=45), AfterValidator(_ip)]
IPInterfaceText = Annotated[str, StringConstraints(max_length=49), AfterValidator(_ip_interface)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, strip_whitespace=True)]
Tags = Annotated[list[Tag], Field(max_length=50)]
CustomFields = Annotated[dict[Annotated[str, StringConstraints(max_length=50)], Any], Field(max_length=100)]
ObjectId = Annotated[int, Field(ge=1, le=2**31 - 1)]
MoneyVND = Annotated[int, Field(ge=0, le=10**17, description="Amount in Vietnamese dong")]


class Tagging(Input):
    tags: Tags = Field(default_factory=list)
    custom_fields: CustomFields = Field(default_factory=dict)


class Stored(Output):
    id: int
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def partial(model: type[BaseModel], name: str | None = None) -> type[BaseModel]:
    """The same fields as `model`, all optional: the body of a PATCH.

    A field that may be empty in `model` may be cleared with `null`; one that may not (a name, the
    tags) keeps its type, so that `null` is a 422 naming it, and is only left out."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation: Any = info.annotation
        # Keep the constraints (lengths, ranges) of the original field.
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        nullable = type(None) in _flatten(info.annotation)
        extra = info.json_schema_extra if nullable else _without_default(info.json_schema_extra)
        fields[field_name] = (
            annotation | None if nullable else annotation,
            Field(default=None, description=info.description, json_schema_extra=extra),
        )
    return create_model(name or model.__name__.replace("Create", "Update"), __base__=Input, **fields)


def _without_default(extra: Any) -> Any:
    """The published schema of a PATCH field that may only be left out shows no `default: null`."""

    def edit(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        if isinstance(extra, dict):
            schema.update(extra)

    return edit
