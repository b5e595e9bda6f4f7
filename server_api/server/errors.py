"""One error type for the API, and handlers giving every error the contract's JSON shape.

``{"error": {"code": "<stable_code>", "message": "<english text>"}}`` for every status of
every path but the console's, including FastAPI's validation errors (422
``validation_error``, the message naming the field), malformed JSON (422
``validation_error``), a body that is not JSON (415 ``unsupported_media_type``),
unknown routes (404 ``not_found``), wrong methods (405 ``method_not_allowed``),
oversized bodies (413 ``payload_too_large``) and, as a last resort, unexpected failures
(500 ``internal_error``, logged with a traceback but never with the request body, the
query string or an exception's message, which may quote either). Console pages may
register an HTML renderer for errors under ``/console``.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_api import contract

log = logging.getLogger(__name__)

GENERIC_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 416: "range_not_satisfiable", 422: "validation_error",
    429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}
# What each error status of the API means, for the OpenAPI document; routes may say more.
ERROR_DESCRIPTIONS = {
    400: "The body could not be read (`bad_request`)",
    401: "The terminal's authentication was refused (the code says why)",
    404: "Not found (`not_found` for an unknown path)",
    409: "Conflict (`conflict`: concurrent writes, send again)",
    413: "The request body is too large (`payload_too_large`)",
    415: "The body is not JSON (`unsupported_media_type`)",
    416: "Range not satisfiable (`range_not_satisfiable`)",
    422: "Invalid request (`validation_error`, the message names the field)",
}
# The terminal API, whose request bodies ``ApiBodyLimit`` limits (every path but the
# console's answers errors in JSON).
API_PREFIX = "/api/"
JSON_MEDIA_TYPES = ("application/json",)

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


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a request body past the limit (answered 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def error_responses(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring the contract's error body for these statuses.

    ``described`` overrides a description by status, e.g. ``error_responses(401, 404,
    s404="No such person (`person_not_found`)")``.
    """
    return {status: {"model": contract.ErrorResponse,
                     "description": described.get(f"s{status}",
                                                  ERROR_DESCRIPTIONS.get(status, "Error"))}
            for status in statuses}


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}},
                        status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """Where and what, without echoing the input (it may hold secrets or biometrics)."""
    parts = []
    for err in exc.errors()[:5]:
        if err.get("type") == "json_invalid":
            # loc is ("body", <character offset>): say so rather than "body.17".
            detail = (err.get("ctx") or {}).get("error", "")
            parts.append(f"body: malformed JSON at character {err['loc'][-1]}"
                         + (f" ({detail})" if detail else ""))
            continue
        location = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{location}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def is_json_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in JSON_MEDIA_TYPES or (
        media_type.startswith("application/") and media_type.endswith("+json"))


def _body_not_json(request: Request, exc: RequestValidationError) -> bool:
    """True when a body was sent but not parsed because its Content-Type is not JSON.

    FastAPI then hands the raw bytes to validation (``exc.body``); the client sent the
    wrong media type rather than a wrong value.
    """
    return (isinstance(exc.body, (bytes, bytearray)) and bool(exc.body)
            and not is_json_media_type(request.headers.get("content-type")))


def safe_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` and of its causes with their types only, no messages.

    Messages are left out: a validation error or a driver error may quote the request
    (personal data, biometrics, credentials). Frames show file, line and source only.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    lines: list[str] = []
    for i, item in enumerate(reversed(chain)):
        if i:
            lines.append("\nDuring handling of the above, this was raised:\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(item.__traceback__))
        kind = type(item)
        lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)\n")
    return "".join(lines)


class ApiBodyLimit:
    """Refuse API request bodies larger than ``max_bytes`` with 413 ``payload_too_large``.

    A declared ``Content-Length`` over the limit is answered at once, unread; a chunked
    body is counted as it is read and refused as soon as it passes the limit. Only paths
    under ``/api/`` are limited (console uploads have their own limits).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            response = error_response(413, "payload_too_large",
                                      f"the request body is larger than {self.max_bytes} bytes",
                                      headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class LastResort:
    """Turn any exception that escaped every handler into a logged 500 ``internal_error``.

    Wraps the whole application (inside Starlette's own error middleware, which then never
    sees it): the traceback is logged without the request body, the query string or the
    exception's message (``safe_traceback``); the client gets the contract's JSON error,
    or the console's HTML error page under ``/console``. A 500 is always a bug.
    """

    def __init__(self, app: ASGIApp, html_renderer: HtmlErrorRenderer | None = None) -> None:
        self.app = app
        self.html_renderer = html_renderer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the last resort, by design
            log.error("unexpected error on %s %s\n%s", scope.get("method"), scope.get("path"),
                      safe_traceback(exc))
            if started:
                return  # too late for an error page; the server closes the connection
            await self._respond(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        response: Response = error_response(500, "internal_error", "unexpected server error")
        if self.html_renderer is not None and scope["path"].startswith("/console"):
            try:
                response = self.html_renderer(Request(scope, receive), 500,
                                              "unexpected server error")
            except Exception:  # noqa: BLE001 - the page itself failed: plain HTML then
                response = HTMLResponse("<h1>500</h1>", status_code=500)
        await response(scope, receive, send)


def install_error_handlers(app: FastAPI, html_renderer: HtmlErrorRenderer | None = None,
                           *, max_api_body_bytes: int | None = None) -> None:
    """Register the handlers; ``html_renderer`` serves errors of ``/console`` pages.

    Call it after every other ``add_middleware``: the last-resort middleware must wrap
    them all. ``max_api_body_bytes`` limits the bodies of ``/api/`` requests.
    """

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
        if wants_html(request):
            return html_renderer(request, 422, _validation_message(exc))
        if _body_not_json(request, exc):
            return error_response(415, "unsupported_media_type",
                                  "the body must be JSON, sent with "
                                  "'Content-Type: application/json'")
        return error_response(422, "validation_error", _validation_message(exc))

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
        # Only reached when something fails outside ``LastResort`` (it wraps the rest).
        log.error("unexpected error on %s %s\n%s", request.method, request.url.path,
                  safe_traceback(exc))
        return error_response(500, "internal_error", "unexpected server error")

    if max_api_body_bytes is not None:
        app.add_middleware(ApiBodyLimit, max_bytes=max_api_body_bytes)
    app.add_middleware(LastResort, html_renderer=html_renderer)
