"""The partner's response page: what was sent, and two buttons (no account, no script)."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from app.db import utcnow
from app.deps import SessionDep
from app.distributions import responses
from app.distributions.schemas import ResponseAnswer, ResponseRead
from app.errors import AppError, add_error_pages

PREFIX = "/respond"
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.filters["when"] = lambda d: f"{d:%Y-%m-%d %H:%M} UTC" if d else ""

router = APIRouter(prefix=PREFIX, include_in_schema=False)

TITLES = {404: "Link not found", 409: "Already answered", 410: "Link expired"}


def _headers(response: HTMLResponse) -> HTMLResponse:
    # The token is in the address: never cached, never sent on as a referrer, never framed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    return response


def _page(
    request: Request,
    read: ResponseRead,
    *,
    status_code: int = 200,
    error: str | None = None,
    reason: str = "",
    thanks: bool = False,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "read": read,
        "need": read.content.get("solicitation", {}),
        "action": request.url.path,
        "error": error,
        "reason": reason,
        "thanks": thanks,
    }
    response = templates.TemplateResponse(request, "respond.html", context, status_code=status_code)
    return _headers(response)


@router.get("/{token}", response_class=HTMLResponse)
def response_page(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """The page behind a response link; opening it marks the recipient viewed."""
    return _page(request, responses.open_link(session, token=token))


@router.post("/{token}", response_class=HTMLResponse)
def answer_page(
    token: str,
    request: Request,
    session: SessionDep,
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The partner's answer from the page's buttons; a decline without a reason comes back
    with the reason asked for, and nothing is written."""
    try:
        data = ResponseAnswer.model_validate({"status": status, "reason": reason})
    except ValidationError as exc:
        recipient = responses.find(session, token=token)
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        read = responses.to_read(session, recipient, utcnow())
        return _page(request, read, status_code=422, error=message, reason=reason)
    recipient = responses.answer(session, token=token, data=data)
    session.commit()
    return _page(request, responses.to_read(session, recipient, utcnow()), thanks=True)


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    """An unknown, used or expired link (or any other error here) as a plain page."""
    response = templates.TemplateResponse(
        request,
        "respond_error.html",
        {
            "title": TITLES.get(exc.status_code, "Request refused"),
            "message": exc.message[:1].upper() + exc.message[1:],
            "status": exc.status_code,
        },
        status_code=exc.status_code,
        headers=exc.headers,
    )
    return _headers(response)


def install(app: FastAPI) -> None:
    """Serve the response pages and answer their errors as pages."""
    app.include_router(router)
    add_error_pages(app, PREFIX, error_page)
