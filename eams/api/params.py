"""Parameter types shared by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# Ids are 32-bit in PostgreSQL and bounded in SQLite; a larger one cannot exist, so it is refused
# as a bad parameter before any query (SQLite would raise OverflowError on it).
PathId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Object id")]
