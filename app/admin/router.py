"""Sign-in, sign-out and the admin home page."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
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
from app.deps import SessionDep
from app.imports import service as imports
from app.imports.models import ImportRun
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
async def login(request: Request, session: SessionDep) -> Response:
    """Check the password; on success open a new session (a fresh token, never a reused one)."""
    form = await request.form(max_files=0, max_fields=10)
    binding = request.cookies.get(LOGIN_COOKIE)
    check_csrf(request, form, binding)
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    try:
        user = users.authenticate(session, username=username, password=password)
    except users.LoginFailed as exc:
        session.commit()  # the failure count must stick
        return render(
            request,
            "login.html",
            {"next": target, "username": username, "error": str(exc)},
            signed_in=None,
            csrf_binding=binding,
            status_code=429 if exc.locked else 401,
        )
    token = users.start_session(session, user=user)
    session.commit()
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
    org_id = signed_in.principal.organization_id
    counts = {
        "companies": session.scalar(
            select(func.count()).select_from(Company).where(Company.archived_at.is_(None))
        ),
        "solicitations": session.scalar(
            select(func.count()).select_from(Solicitation).where(Solicitation.archived_at.is_(None))
        ),
        "duplicates": imports.open_flags(session, principal=signed_in.principal, limit=0, offset=0)[
            1
        ],
    }
    recent = session.scalars(
        select(ImportRun)
        .where(ImportRun.organization_id == org_id)
        .order_by(ImportRun.id.desc())
        .limit(5)
    ).all()
    return render(request, "home.html", {"counts": counts, "recent": recent}, signed_in=signed_in)
