"""Sign-in, sign-out, the language choice before sign-in, and the dashboard."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.admin import dashboard, i18n
from app.admin.i18n import N_
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
from app.config import get_settings
from app.db import best_effort, get_read_sessionmaker, session_scope, utcnow
from app.deps import SessionDep
from app.imports import service as imports
from app.organizations.throttling import (
    TooManyRequests,
    client_address,
    get_throttle,
    seconds_until,
)
from app.users import service as users

router = APIRouter(prefix="/admin", include_in_schema=False)
LOGIN_COOKIE_SECONDS = 3600
LANG_COOKIE_SECONDS = 365 * 24 * 3600
WIDGET_ROWS = 10
# Sign-in refusals come from the users service and the throttle in English; marked here.
TOO_MANY_ATTEMPTS = N_("Too many sign-in attempts from your address. Try again later.")
WRONG_NAME_OR_PASSWORD = N_("Wrong user name or password.")
# A recipient's status as the dashboard shows it.
WAITING_STATUSES = (N_("sent"), N_("viewed"))


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
        with i18n.use(i18n.request_locale(request)):
            if status_code == 429 and retry_after is not None and message != TOO_MANY_ATTEMPTS:
                minutes = max(1, round(retry_after / 60))
                message = i18n.ngettext(
                    "Too many failed sign-ins. Try again in %(num)s minute.",
                    "Too many failed sign-ins. Try again in %(num)s minutes.",
                    minutes,
                )
            else:
                message = i18n.gettext(message)
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
    # Error pages (and the sign-in page after signing out) follow the user's language.
    set_cookie(response, request, i18n.LANG_COOKIE, user.locale, LANG_COOKIE_SECONDS)
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
    """The dashboard: what closes soon, what is new since the last visit, vetting that runs
    out, distributions waiting for an answer, and the latest imports."""
    principal = signed_in.principal
    user = signed_in.user
    now = utcnow()
    previous = user.last_dashboard_at
    new, counted_from = dashboard.new_since(session, since=previous, now=now, limit=WIDGET_ROWS)
    _flags, open_duplicates = imports.open_flags(session, principal=principal, limit=0, offset=0)
    recent, _total = imports.runs(session, principal=principal, limit=5, offset=0)
    response = render(
        request,
        "home.html",
        {
            "closing": dashboard.closing_soon(session, now=now, limit=WIDGET_ROWS),
            "closing_days": dashboard.CLOSING_DAYS,
            "new": new,
            "previous_visit": previous,
            "counted_from": counted_from,
            "vetting": dashboard.vetting_expiring(session, now=now, limit=WIDGET_ROWS),
            "vetting_days": dashboard.VETTING_DAYS,
            "waiting": dashboard.waiting_for_answer(
                session, principal=principal, limit=WIDGET_ROWS
            ),
            "open_duplicates": open_duplicates,
            "recent": recent,
            "now": now,
        },
        signed_in=signed_in,
    )
    # This GET reads only; the visit is remembered in a short write of its own, after the
    # read has ended (SQLite takes its write lock when a writing transaction begins).
    session.rollback()
    with best_effort() as writer:
        users.mark_dashboard_seen(writer, user_id=user.id)
    return response


@router.get("/language")
def choose_language(
    request: Request,
    to: Annotated[str, Query(max_length=8)],
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Choose the pages' language before signing in: sets the language cookie only."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if to in i18n.LOCALES:
        set_cookie(response, request, i18n.LANG_COOKIE, to, LANG_COOKIE_SECONDS)
    return response
