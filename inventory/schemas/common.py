"""Field types and base models shared by every inventory schema."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
)


class Input(BaseModel):
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
    """The same fields as `model`, all optional: the body of a PATCH."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation = info.annotation
        fields[field_name] = (
            annotation | None,  # type: ignore[operator]
            Field(default=None, description=info.description, json_schema_extra=info.json_schema_extra),
        )
        # Keep the constraints (lengths, ranges) of the original field.
        if info.metadata:
            fields[field_name] = (
                Annotated[(annotation, *info.metadata)] | None,
                Field(default=None, description=info.description),
            )
    return create_model(name or model.__name__.replace("Create", "Update"), __base__=Input, **fields)
