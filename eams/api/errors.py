"""API errors: each bad input becomes a 4xx whose message names the field at fault."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorBody(BaseModel):
    """Every 4xx answer: a sentence, the field at fault when there is one, and per-item details."""

    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Bad parameter (named in `field`)"),
        (401, "No token, or an unknown, revoked or expired one"),
        (403, "The token's role or agency scope does not allow this"),
        (404, "No such object (or outside the token's agency scope)"),
        (409, "Conflicts with stored data (duplicate, still referenced)"),
        (422, "Invalid body or values; `errors` lists each field or row"),
    )
}


class ApiError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, errors: list[Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.message}
        if self.field:
            body["field"] = self.field
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class BadRequest(ApiError):
    status_code = 400


class Unauthorized(ApiError):
    status_code = 401


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Unprocessable(ApiError):
    status_code = 422


class UnsupportedMediaType(ApiError):
    status_code = 415


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path")]
    return ".".join(parts) or "request"


def validation_errors(errors: list[Any], body: Any = None) -> list[dict[str, Any]]:
    return [
        _json_problem(error, body)
        if error.get("type") == "json_invalid"
        else {
            "field": _location(error.get("loc", ())),
            "message": str(error.get("msg", "invalid value")).removeprefix("Value error, "),
        }
        for error in errors
    ]


def _json_problem(error: dict[str, Any], body: Any) -> dict[str, Any]:
    """Malformed JSON: the body is at fault, at a line and column a person can find (FastAPI puts
    the character offset where a field name belongs)."""
    loc = error.get("loc", ())
    offset = loc[-1] if loc and isinstance(loc[-1], int) else None
    reason = str((error.get("ctx") or {}).get("error", "")) or "invalid JSON"
    if offset is None or not isinstance(body, str | bytes):
        return {"field": "body", "message": f"the body is not valid JSON: {reason}"}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    where = f"line {line}, column {column}"
    return {"field": "body", "message": f"the body is not valid JSON at {where}: {reason}"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(list(exc.errors()), exc.body)
        summary = "; ".join(f"{item['field']}: {item['message']}" for item in errors[:5])
        return JSONResponse({"detail": summary, "errors": errors}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Checks in the resource layer catch the common cases with better words; this is the net.
        return JSONResponse(
            {"detail": f"the change conflicts with stored data: {_short(exc)}"}, status_code=409
        )

    @app.exception_handler(DataError)
    async def _data(_request: Request, exc: DataError) -> JSONResponse:
        return JSONResponse({"detail": f"a value does not fit its column: {_short(exc)}"}, 422)

    @app.exception_handler(StatementError)
    async def _statement(_request: Request, exc: StatementError) -> JSONResponse:
        return JSONResponse({"detail": f"a value cannot be stored: {_short(exc)}"}, 422)

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, exc: OverflowError) -> JSONResponse:
        # A number too large for the database (SQLite's 64-bit integers): bad input, not a crash.
        return JSONResponse({"detail": f"a number is out of range: {exc}"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).splitlines()[0]
    return text[:300]
