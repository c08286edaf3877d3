"""Business errors carry their HTTP status; one handler per medium turns every error into a
response: a page for a person (paths under a prefix with error pages, /admin), JSON for a
program (everything else).

Handlers convert what they catch into an `AppError` and answer with `error_response`, so an
error raised anywhere reads the same way in each medium.
"""

import http
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of expected failures; never a 500."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers

    def to_body(self) -> dict[str, Any]:
        """The JSON body sent to the client."""
        return {"detail": self.message, "code": self.code}


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"

    def __init__(self, message: str = "missing or invalid API key") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Gone(AppError):
    """A record that existed and can no longer be used (an expired link)."""

    status_code = 410
    code = "gone"


class PreconditionFailed(AppError):
    status_code = 412
    code = "precondition_failed"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class InvalidField(AppError):
    """A value that passed parsing but breaks a rule that needs the database (422)."""

    status_code = 422
    code = "invalid"

    def __init__(self, field: str, reason: str, *, location: str = "body") -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.location = location

    def to_body(self) -> dict[str, Any]:
        """Same shape as FastAPI's request validation errors."""
        return {
            "detail": [
                {
                    "loc": [self.location, *self.field.split(".")],
                    "msg": self.reason,
                    "type": "value_error",
                }
            ]
        }


class ServiceUnavailable(AppError):
    """The database is busy: nothing was changed, and the request may be sent again."""

    status_code = 503
    code = "busy"


class HttpError(AppError):
    """An error of any status: the framework's (unknown path, wrong method, unreadable body)
    and the admin pages' own."""

    def __init__(
        self, status_code: int, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, headers=headers)
        phrase = http.HTTPStatus(status_code).phrase
        self.status_code = status_code
        self.code = phrase.lower().replace(" ", "_").replace("-", "_")


class InvalidRequest(AppError):
    """Parameters or body that do not fit the schema (422), every problem listed."""

    status_code = 422
    code = "invalid"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        readable = {bytes: lambda raw: raw.decode("utf-8", "backslashreplace")}
        self.errors = _scrub(jsonable_encoder(errors, custom_encoder=readable))
        # "field: reason" for each, the field without its location (body, query, ...).
        self.problems = [
            f"{'.'.join(str(part) for part in error['loc'][1:]) or error['loc'][0]}: {error['msg']}"
            for error in self.errors
        ]
        super().__init__("; ".join(self.problems))

    def to_body(self) -> dict[str, Any]:
        """FastAPI's shape, with text that cannot be encoded escaped."""
        return {"detail": self.errors}


class ErrorRead(BaseModel):
    """The JSON body of every error but a 422."""

    detail: str
    code: str


RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
ERROR_STATUSES: dict[int, dict[str, Any]] = {
    400: {"description": "The body could not be read (not UTF-8 JSON, an empty or bad file)"},
    401: {
        "description": "No valid API key: send `Authorization: Bearer <key>`",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    403: {"description": "The key's role or organization may not do this"},
    404: {"description": "No such record, or not one the key's organization may see"},
    409: {"description": "Conflicts with stored data (a natural key in use, already settled)"},
    410: {"description": "No longer usable (an expired link)"},
    412: {"description": "If-Match names an older version: read the record again"},
    413: {"description": "The body is larger than the limit"},
    429: {"description": "Too many requests", "headers": RETRY_AFTER},
    503: {"description": "Briefly unavailable (the database is busy)", "headers": RETRY_AFTER},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` declaring these error statuses with their body schema."""
    return {status: {"model": ErrorRead, **ERROR_STATUSES[status]} for status in statuses}


PageRenderer = Callable[[Request, AppError], Response]


def add_error_pages(app: FastAPI, prefix: str, render: PageRenderer) -> None:
    """Errors on paths under `prefix` are answered with pages drawn by `render`."""
    if not hasattr(app.state, "error_pages"):
        app.state.error_pages = {}
    app.state.error_pages[prefix.rstrip("/")] = render


def error_response(request: Request, exc: AppError) -> Response:
    """The answer to an error in the medium of whoever asked: a page or JSON."""
    path = request.url.path
    for prefix, render in getattr(request.app.state, "error_pages", {}).items():
        if path == prefix or path.startswith(f"{prefix}/"):
            return render(request, exc)
    return JSONResponse(_scrub(exc.to_body()), status_code=exc.status_code, headers=exc.headers)


def _scrub(value: Any) -> Any:
    """Escape lone surrogates (echoed from a bad request) so the answer can be encoded."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    return value


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path: the router's own 405 names only the
    methods of the first route whose path matched. Routes are asked, method by method,
    through the public `matches`, so included routers need no flattening."""
    scope = {k: v for k, v in request.scope.items() if k not in ROUTING_KEYS}
    return [
        method
        for method in METHODS
        if any(
            not isinstance(route, Mount)
            and route.matches({**scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


# What routing left in the scope; the probe above routes afresh without it.
ROUTING_KEYS = frozenset({"fastapi", "route", "endpoint", "path_params", "router"})


def _http_error(request: Request, exc: HTTPException) -> HttpError:
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        message = f"there is nothing at {request.url.path}"
    elif exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
        message = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    else:
        message = str(exc.detail)
    return HttpError(exc.status_code, message, headers=headers or None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: every error becomes an `AppError` answered per medium."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return error_response(request, _http_error(request, exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, InvalidRequest(list(exc.errors())))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> Response:
        # Starlette still re-raises the exception after this, so the server logs it.
        return error_response(request, HttpError(500, "an unexpected error; it has been logged"))

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, _exc: StaleDataError) -> Response:
        return error_response(
            request,
            PreconditionFailed("the record was changed by someone else; reload and retry"),
        )

    install_database_error_handlers(app)


# The database was busy (SQLite's write lock held past the wait, a PostgreSQL lock timeout or
# deadlock): the request changed nothing and may simply be sent again.
RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = "the database is busy with other writes; nothing was changed, try again shortly"


def install_database_error_handlers(app: FastAPI) -> None:
    """A busy database is a 503 with Retry-After and a lost natural-key race a 409, never a
    500 (the services check natural keys first; these catch what slips between check and
    write). Other integrity errors are bugs: logged, and a 500."""
    from app.db import is_busy, unique_violation

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        columns = unique_violation(exc)
        if columns is None:
            # A broken foreign key, NOT NULL or CHECK is a bug, not a conflict: log it.
            log.error("integrity error", exc_info=exc)
            unexpected = HttpError(500, "an unexpected error; it has been logged")
            return error_response(request, unexpected)
        message = (
            f"another record already has this {', '.join(columns)}"
            if columns
            else "the change conflicts with another record"
        )
        return error_response(request, Conflict(message))

    @app.exception_handler(DBAPIError)
    async def _busy(request: Request, exc: DBAPIError) -> Response:
        if not is_busy(exc):
            log.error("database error", exc_info=exc)
            return error_response(
                request, HttpError(500, "an unexpected error; it has been logged")
            )
        return error_response(
            request,
            ServiceUnavailable(BUSY_MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}),
        )
