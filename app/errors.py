"""Business errors carry their HTTP status; one handler turns them into JSON."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError


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


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON handlers for business errors and lost updates."""

    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            {
                "detail": "the record was changed by someone else; reload and retry",
                "code": "precondition_failed",
            },
            status_code=412,
        )

    install_database_error_handlers(app)


# The database was busy (SQLite's write lock held past the wait, a PostgreSQL lock timeout or
# deadlock): the request changed nothing and may simply be sent again.
RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = "the database is busy with other writes; nothing was changed, try again shortly"
PageRenderer = Callable[[Request, int, str, str], Awaitable[Response]]
_page_renderers: dict[str, PageRenderer] = {}


def render_pages_under(prefix: str, renderer: PageRenderer) -> None:
    """Answer database errors under `prefix` (the admin pages) with `renderer`'s HTML page
    (status, title, message) instead of JSON."""
    _page_renderers[prefix] = renderer


async def _database_error(
    request: Request, status: int, code: str, title: str, message: str, headers: dict[str, str]
) -> Response:
    for prefix, renderer in _page_renderers.items():
        if request.url.path.startswith(prefix):
            response = await renderer(request, status, title, message)
            response.headers.update(headers)
            return response
    return JSONResponse({"detail": message, "code": code}, status_code=status, headers=headers)


def install_database_error_handlers(app: FastAPI) -> None:
    """A busy database is a 503 with Retry-After and a lost natural-key race a 409, never a
    500 (the services check natural keys first; these catch what slips between check and
    write)."""
    from app.db import is_busy, unique_violation

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        columns = unique_violation(exc)
        message = (
            f"another record already has this {', '.join(columns)}"
            if columns
            else "the change conflicts with another record"
        )
        return await _database_error(request, 409, "conflict", "Conflict", message, {})

    @app.exception_handler(DBAPIError)
    async def _busy(request: Request, exc: DBAPIError) -> Response:
        if not is_busy(exc):
            raise exc
        return await _database_error(
            request,
            503,
            "busy",
            "Busy, try again",
            BUSY_MESSAGE,
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
