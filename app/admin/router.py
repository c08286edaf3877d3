"""Sign-in, sign-out and the admin home page."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from app.admin.web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    OptionalUserDep,
    UserDep,
    check_csrf,
    new_login_binding,
    render,
    safe_next,
    set_cookie,
)
from app.companies.models import Company
from app.config import get_settings
from app.db import get_read_sessionmaker, session_scope
from app.deps import SessionDep
from app.imports import service as imports
from app.organizations.throttling import (
    TooManyRequests,
    client_address,
    get_throttle,
    seconds_until,
)
from app.solicitations.models import Solicitation
from app.users import service as users

router = APIRouter(prefix="/admin", include_in_schema=False)
LOGIN_COOKIE_SECONDS = 3600


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    signed_in: OptionalUserDep,
    next: Annotated[str | None, Query()] = None,
) -> Response:
    """The sign-in form; a signed-in user goes straight on."""
    if signed_in is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    binding = request.cookies.get(LOGIN_COOKIE) or new_login_binding()
    response = render(
        request,
        "login.html",
        {"next": safe_next(next), "username": "", "error": None},
        signed_in=None,
        csrf_binding=binding,
    )
    set_cookie(response, request, LOGIN_COOKIE, binding, LOGIN_COOKIE_SECONDS)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the password; on success open a new session (a fresh token, never a reused one)."""
    form = await request.form(max_files=0, max_fields=10)
    binding = request.cookies.get(LOGIN_COOKIE)
    check_csrf(request, form, binding)
    # argon2 is slow on purpose: verify off the event loop.
    return await run_in_threadpool(
        _sign_in,
        request,
        binding or "",
        str(form.get("username") or ""),
        str(form.get("password") or ""),
        safe_next(str(form.get("next") or "")),
    )


def _sign_in(request: Request, binding: str, username: str, password: str, target: str) -> Response:
    def refuse(message: str, status_code: int, retry_after: int | None = None) -> Response:
        response = render(
            request,
            "login.html",
            {"next": target, "username": username, "error": message},
            signed_in=None,
            csrf_binding=binding,
            status_code=status_code,
        )
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    throttle = get_throttle(request.app)
    try:
        throttle.check_login(client_address(request))
    except TooManyRequests as exc:
        return refuse(exc.message, 429, exc.retry_after)
    # Read, then hash with no transaction open, then write in a short transaction: on SQLite
    # the write lock is taken when the writing session begins.
    with get_read_sessionmaker()() as reader, session_scope() as session:
        try:
            user = users.authenticate(
                session, username=username, password=password, name_locks=throttle, reader=reader
            )
        except users.LoginFailed as exc:
            # Leaving the block commits: the failure count must stick.
            if exc.locked_until is None:
                return refuse(str(exc), 401)
            return refuse(str(exc), 429, seconds_until(exc.locked_until.timestamp()))
        token = users.start_session(session, user=user)
    response = RedirectResponse(target, status_code=303)
    hours = get_settings().admin_session_hours
    set_cookie(response, request, SESSION_COOKIE, token, int(hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """End the session on the server and clear the cookie."""
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form, signed_in.session_token)
    users.end_session(session, token=signed_in.session_token)
    session.commit()
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


@router.get("", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """Where analysts start: record counts and their organization's latest imports."""
    principal = signed_in.principal
    _flags, open_duplicates = imports.open_flags(session, principal=principal, limit=0, offset=0)
    counts = {
        "companies": session.scalar(
            select(func.count()).select_from(Company).where(Company.archived_at.is_(None))
        ),
        "solicitations": session.scalar(
            select(func.count()).select_from(Solicitation).where(Solicitation.archived_at.is_(None))
        ),
        "duplicates": open_duplicates,
    }
    recent, _total = imports.runs(session, principal=principal, limit=5, offset=0)
    return render(request, "home.html", {"counts": counts, "recent": recent}, signed_in=signed_in)
