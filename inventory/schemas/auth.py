"""API tokens as the admin API shows them: never their value, except once at creation."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from inventory.models.enums import Role
from inventory.schemas.common import Input, ObjectId, Output, text


class TokenCreate(Input):
    name: text(100, 1) = Field(description="Who or what uses the token")  # type: ignore[valid-type]
    role: Role
    agency_id: ObjectId | None = Field(
        None, description="Limit the token to this agency and its sub-agencies"
    )
    expires_at: datetime | None = Field(None, description="When the token stops working (ISO 8601)")


class TokenRead(Output):
    id: int
    name: str
    role: Role
    agency_id: int | None
    prefix: str = Field(description="The token's first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool


class TokenCreated(TokenRead):
    token: str = Field(description="The token itself; shown this once, only its digest is stored")
