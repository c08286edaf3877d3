"""What every admin page shares: the session cookie, CSRF tokens, templates and headers.

The session cookie holds a random token whose hash names a server-side session row, so signing
out or disabling a user takes effect at once. Form posts carry a CSRF token that is an HMAC of
that session token (or, before sign-in, of a pre-login cookie) under the secret key: a page of
another site can neither read nor compute it.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.admin import i18n
from app.admin.i18n import N_
from app.config import get_settings
from app.db import best_effort, get_sessionmaker
from app.deps import SessionDep
from app.errors import AppError, HttpError, InvalidField, InvalidRequest, add_error_pages
from app.organizations.models import ROLE_RANK, Role
from app.users import service as users
from app.users.service import SignedIn

SESSION_COOKIE = "kakehashi_session"
LOGIN_COOKIE = "kakehashi_login"
CSRF_FIELD = "csrf_token"
HERE = Path(__file__).resolve().parent

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.add_extension("jinja2.ext.i18n")
# New-style gettext: Jinja fills `%(name)s` variables itself and escapes them.
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: i18n.translations(i18n.current_locale()).gettext(message),
    lambda singular, plural, n: i18n.translations(i18n.current_locale()).ngettext(
        singular, plural, n
    ),
    newstyle=True,
)
templates.env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
templates.env.filters["when"] = i18n.when
templates.env.filters["day"] = i18n.day


class LoginRequired(Exception):
    """No valid session: send the browser to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(HttpError):
    """An error (403, 404, ...) with a title and a sentence for the person reading it.

    Both are English texts marked with `N_`, translated when the page is shown (the reader's
    language is known then); `variables` fill the message's `%(name)s` placeholders."""

    def __init__(self, status_code: int, title: str, message: str, **variables: object) -> None:
        super().__init__(status_code, message % variables if variables else message)
        self.title = title
        self.template = message
        self.variables = variables


# Headings of the error page by status, for errors that do not bring their own.
PAGE_TITLES = {
    400: N_("Request not understood"),
    401: N_("Not signed in"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not possible here"),
    409: N_("Conflict"),
    412: N_("Changed meanwhile"),
    413: N_("Too large"),
    422: N_("Not valid"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
    503: N_("Briefly unavailable"),
}
REQUEST_REFUSED = N_("Request refused")
ROLE_NAMES = {"admin": N_("admin"), "analyst": N_("analyst"), "viewer": N_("viewer")}

# The main navigation: path, label, and the role needed to see the link.
NAV: tuple[tuple[str, str, Role], ...] = (
    ("/admin", N_("Dashboard"), Role.VIEWER),
    ("/admin/companies", N_("Companies"), Role.VIEWER),
    ("/admin/solicitations", N_("Solicitations"), Role.VIEWER),
    ("/admin/insights", N_("Capability gaps"), Role.VIEWER),
    ("/admin/distributions", N_("Distributions"), Role.VIEWER),
    ("/admin/imports", N_("Imports"), Role.VIEWER),
    ("/admin/imports/duplicates", N_("Duplicates"), Role.VIEWER),
    ("/admin/reports", N_("Nightly reports"), Role.VIEWER),
    ("/admin/screening", N_("Screening"), Role.VIEWER),
    ("/admin/audit", N_("Audit"), Role.ADMIN),
    ("/admin/settings", N_("Settings"), Role.ADMIN),
)


def nav_current(path: str) -> str | None:
    """The navigation link this page belongs under: the longest path that starts it."""
    found = [href for href, _label, _role in NAV if path == href or path.startswith(href + "/")]
    return max(found, key=len) if found else None


def nav_links(user: Any) -> list[tuple[str, str]]:
    """The navigation links a user's role may follow."""
    if user is None:
        return []
    return [(href, label) for href, label, role in NAV if ROLE_RANK[user.role] >= ROLE_RANK[role]]


def csrf_token(binding: str) -> str:
    """The form token for a session (or pre-login) token."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, form: FormData, binding: str | None) -> None:
    """Refuse (403) a post from another site or without this session's token."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PageError(403, REQUEST_REFUSED, N_("Forms can only be sent from Kakehashi's pages."))
    sent = form.get(CSRF_FIELD)
    if (
        not binding
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent, csrf_token(binding))
    ):
        raise PageError(
            403,
            REQUEST_REFUSED,
            N_(
                "This form has expired or did not come from Kakehashi. Go back, reload the page "
                "and send it again."
            ),
        )


async def handle_posted_form(
    request: Request,
    signed_in: SignedIn,
    handle: Callable[..., Response],
    *args: Any,
    max_fields: int,
) -> Response:
    """Read a posted form (no files), check its token, then run `handle(request, signed_in,
    form, *args)` off the event loop: its database work blocks."""
    form = await request.form(max_files=0, max_fields=max_fields)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(handle, request, signed_in, form, *args)


@contextmanager
def form_writer() -> Iterator[Session]:
    """A write session for one form post: the handler commits once; the rest is rolled back."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (uvicorn applies X-Forwarded-Proto)."""
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """HttpOnly, SameSite=Lax, Secure over HTTPS, scoped to the admin pages."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/admin",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def signed_in_or_none(request: Request, session: SessionDep) -> SignedIn | None:
    """The signed-in user of this browser, if any."""
    token = request.cookies.get(SESSION_COOKIE, "")
    signed_in = users.resolve_session(session, token=token)
    session.commit()  # end this transaction before the touch takes the write lock
    if signed_in is not None and users.seen_is_stale(signed_in):
        with best_effort() as writer:
            users.touch_session(writer, signed_in=signed_in)
    return signed_in


def require_signed_in(
    request: Request, signed_in: Annotated[SignedIn | None, Depends(signed_in_or_none)]
) -> SignedIn:
    """The signed-in user, or a redirect to the sign-in page."""
    if signed_in is None:
        raise LoginRequired(current_path(request))
    return signed_in


OptionalUserDep = Annotated[SignedIn | None, Depends(signed_in_or_none)]
UserDep = Annotated[SignedIn, Depends(require_signed_in)]


def require_role(signed_in: SignedIn, role: Role, action: str) -> None:
    """Refuse (403) a user whose role is below `role`; `action` is a text marked with N_."""
    if ROLE_RANK[signed_in.user.role] < ROLE_RANK[role]:
        raise PageError(
            403,
            N_("Not allowed"),
            N_("To %(action)s you need the %(role)s role; you have %(current)s."),
            action=action,
            role=ROLE_NAMES[role.value],
            current=ROLE_NAMES[signed_in.user.role.value],
        )


def current_path(request: Request) -> str:
    """This page's path and query, to come back to after signing in or posting a form."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def safe_next(target: str | None) -> str:
    """Only redirect within the admin pages after sign-in (no open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    signed_in: SignedIn | None,
    status_code: int = 200,
    csrf_binding: str | None = None,
) -> HTMLResponse:
    """Render a page with the user, the CSRF token and the security headers."""
    binding = csrf_binding or (signed_in.session_token if signed_in else None)
    user = signed_in.user if signed_in else None
    locale = i18n.request_locale(request, user.locale if user else None)
    with i18n.use(locale, user.time_zone if user else "UTC"):
        response = templates.TemplateResponse(
            request,
            template,
            {
                **context,
                "user": user,
                "locale": locale,
                "languages": i18n.LANGUAGE_NAMES,
                "nav": nav_links(user),
                "nav_current": nav_current(request.url.path),
                "role_names": ROLE_NAMES,
                "csrf_field": CSRF_FIELD,
                "csrf_token": csrf_token(binding) if binding else "",
            },
            status_code=status_code,
        )
    security_headers(response)
    return response


def security_headers(response: Response) -> None:
    """No caching, no framing, no scripts: the admin pages need none of them."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def install(app: FastAPI) -> None:
    """Mount the admin pages, their static files and their error pages."""
    from app.admin.router import router as admin_router
    from app.audit.pages import router as audit_pages
    from app.companies.pages import router as company_pages
    from app.distributions.admin_pages import router as distribution_pages
    from app.imports.pages import router as import_pages
    from app.insights.pages import router as insight_pages
    from app.organizations.pages import router as settings_pages
    from app.reports.pages import router as report_pages
    from app.screening.pages import router as screening_pages
    from app.solicitations.pages import router as solicitation_pages
    from app.users.pages import router as preference_pages

    app.mount("/admin/static", StaticFiles(directory=HERE / "static"), name="admin-static")
    app.include_router(admin_router)
    app.include_router(import_pages)
    app.include_router(preference_pages)
    app.include_router(audit_pages)
    app.include_router(settings_pages)
    app.include_router(solicitation_pages)
    app.include_router(distribution_pages)
    app.include_router(company_pages)
    app.include_router(report_pages)
    app.include_router(screening_pages)
    app.include_router(insight_pages)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/admin", status_code=307)

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/admin/login?next={quote(exc.next_path)}", status_code=303)

    add_error_pages(app, "/admin", error_page)


def error_page(request: Request, exc: AppError) -> HTMLResponse:
    """Any error under /admin, as the styled page: its title and a sentence per problem."""
    locale = i18n.request_locale(request)
    with i18n.use(locale):
        if isinstance(exc, PageError):
            problems = [i18n.translate_all(exc.template, exc.variables)]
        elif isinstance(exc, InvalidRequest):
            problems = exc.problems
        elif isinstance(exc, InvalidField):
            problems = [exc.message]  # "field: reason", the field as the form names it
        else:
            problems = [exc.message[:1].upper() + exc.message[1:]]
        title = i18n.gettext(
            getattr(exc, "title", None) or PAGE_TITLES.get(exc.status_code, REQUEST_REFUSED)
        )
        response = templates.TemplateResponse(
            request,
            "error.html",
            {
                "title": title,
                "status": exc.status_code,
                "problems": problems,
                "user": None,
                "locale": locale,
                "languages": i18n.LANGUAGE_NAMES,
            },
            status_code=exc.status_code,
            headers=exc.headers,
        )
    security_headers(response)
    return response


def new_login_binding() -> str:
    """A random value for the pre-login cookie."""
    return secrets.token_urlsafe(24)
