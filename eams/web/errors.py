"""Pages answer bad input the way the API does (the same `ApiError`s), but as a page in the reader's
language; API paths keep their JSON answers."""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from eams.api.errors import ApiError
from eams.web.session import FINISH_PAGE, CsrfRefused, FinishSigningIn, SignInRequired, language_of
from eams.web.templating import N_, render, translate

API_PATHS = ("/api/", "/healthz", "/metrics", "/openapi.json")

HEADINGS = {
    400: N_("The request is not valid"),
    401: N_("Sign in first"),
    403: N_("You may not do this"),
    404: N_("Not found"),
    409: N_("This conflicts with stored data"),
    415: N_("The request is not valid"),
    422: N_("Some values are not valid"),
}


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PATHS) and request.url.path not in ("/docs", "/redoc")


def error_page(request: Request, status: int, message: str) -> Response:
    from eams.web.session import page_context

    page = page_context(request, getattr(request.state, "principal", None))
    heading = translate(page.language, HEADINGS.get(status, HEADINGS[400]))
    if request.headers.get("HX-Request"):
        # A fragment swap shows the sentence where the fragment would have gone.
        from fastapi.responses import HTMLResponse
        from markupsafe import escape

        return HTMLResponse(f'<p class="error-message">{escape(message)}</p>', status_code=status)
    return render(request, page, "layout/error.html", status_code=status, heading=heading, message=message)


async def answer(handler: Any, request: Request, exc: Exception) -> Response:
    """Call one of the app's own (async) handlers: the API keeps its JSON answers."""
    result = handler(request, exc)
    found: Response = await result if inspect.isawaitable(result) else result
    return found


def install_page_errors(app: FastAPI) -> None:
    api_error = app.exception_handlers[ApiError]
    http_error = app.exception_handlers[StarletteHTTPException]

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if not is_page(request):
            return await answer(api_error, request, exc)
        return error_page(request, exc.status_code, exc.message)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_page(request) or exc.status_code not in HEADINGS:
            return await answer(http_error, request, exc)
        language = language_of(request)
        return error_page(request, exc.status_code, translate(language, HEADINGS[exc.status_code]))

    async def on_sign_in(request: Request, _exc: Exception) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    async def on_finish(request: Request, _exc: Exception) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": FINISH_PAGE})
        return RedirectResponse(FINISH_PAGE, status_code=303)

    async def on_csrf(request: Request, _exc: Exception) -> Response:
        message = translate(
            language_of(request),
            N_("The form expired or did not come from this site; reload the page and try again."),
        )
        return error_page(request, 403, message)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(SignInRequired, on_sign_in)
    app.add_exception_handler(CsrfRefused, on_csrf)
    app.add_exception_handler(FinishSigningIn, on_finish)
