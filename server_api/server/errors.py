"""One error type for the API, and handlers giving every error the contract's JSON shape.

``{"error": {"code": "<stable_code>", "message": "<english text>"}}`` for every status,
including FastAPI's validation errors (422), unknown routes (404) and, as a last resort,
unexpected failures (500, logged with a traceback but never with the request body).
Console pages may register an HTML renderer for errors under ``/console``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

GENERIC_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 416: "range_not_satisfiable", 422: "validation_error",
    429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}

HtmlErrorRenderer = Callable[[Request, int, str], Response]


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and an English message."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}},
                        status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """Where and what, without echoing the input (it may hold secrets or biometrics)."""
    parts = []
    for err in exc.errors()[:5]:
        location = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{location}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI, html_renderer: HtmlErrorRenderer | None = None) -> None:
    """Register the handlers; ``html_renderer`` serves errors of ``/console`` pages."""

    def wants_html(request: Request) -> bool:
        return html_renderer is not None and request.url.path.startswith("/console")

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if wants_html(request):
            return html_renderer(request, exc.status, exc.message)
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = GENERIC_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if wants_html(request):
            return html_renderer(request, exc.status_code, message)
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        message = _validation_message(exc)
        if wants_html(request):
            return html_renderer(request, 422, message)
        return error_response(422, "validation_error", message)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value (e.g. a NUL character or an over-long text on
        # PostgreSQL): the request was bad, the server is fine.
        if wants_html(request):
            return html_renderer(request, 422, "invalid data")
        return error_response(422, "invalid_data", "a value was refused by the database "
                                                    "(invalid characters or too long)")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "unexpected server error")
