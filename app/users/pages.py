"""The signed-in user's own preferences: the pages' language and the time zone of dates."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.admin import i18n
from app.admin.forms import parse_form
from app.admin.i18n import N_
from app.admin.web import UserDep, check_csrf, render, set_cookie
from app.db import get_sessionmaker, utcnow
from app.users import service
from app.users.schemas import TIME_ZONES, PreferencesUpdate
from app.users.service import SignedIn

router = APIRouter(prefix="/admin/preferences", include_in_schema=False)
LANG_COOKIE_SECONDS = 365 * 24 * 3600
# The schema's refusal of a zone off the list, marked so that the form shows it translated.
ZONE_ERROR = N_("choose one of the listed time zones")


def _render(
    request: Request,
    signed_in: SignedIn,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "users/preferences.html",
        {
            "values": values,
            "errors": errors,
            "time_zones": TIME_ZONES,
            "saved": saved,
            "now_moment": utcnow(),
        },
        signed_in=signed_in,
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def preferences_page(request: Request, signed_in: UserDep, saved: bool = False) -> Response:
    """The language and time zone form, filled with the user's current choice."""
    user = signed_in.user
    values = {"locale": user.locale, "time_zone": user.time_zone}
    return _render(request, signed_in, values, {}, saved=saved)


@router.post("", response_class=HTMLResponse)
async def save_preferences(request: Request, signed_in: UserDep) -> Response:
    """Save the language and time zone; the language cookie follows, for the error pages."""
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_save, request, signed_in, form)


def _save(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    parsed = parse_form(PreferencesUpdate, form)
    if parsed.model is None:
        return _render(request, signed_in, parsed.values, parsed.errors, status_code=422)
    session = get_sessionmaker()()
    try:
        user = service.get_in_organization(
            session, organization_id=signed_in.user.organization_id, user_id=signed_in.user.id
        )
        service.set_preferences(
            session,
            user=user,
            locale=parsed.model.locale,
            time_zone=parsed.model.time_zone,
            by=signed_in.principal,
        )
        session.commit()
    finally:
        session.rollback()
        session.close()
    response = RedirectResponse("/admin/preferences?saved=true", status_code=303)
    set_cookie(response, request, i18n.LANG_COOKIE, parsed.model.locale, LANG_COOKIE_SECONDS)
    return response
