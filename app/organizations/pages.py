"""Organization settings in the admin pages (admins): users and roles, API keys, matching.

A new user's password and a new API key are shown once, on the page that answers the form,
and never again: only their hashes are stored.
"""

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.admin.forms import field_error, parse_form
from app.admin.i18n import N_
from app.admin.web import (
    PageError,
    UserDep,
    form_writer,
    handle_posted_form,
    render,
    require_role,
)
from app.common.schemas import RecordId
from app.deps import SessionDep
from app.errors import Conflict, InvalidField, NotFound, PreconditionFailed
from app.organizations import keys, settings
from app.organizations.models import Role
from app.organizations.schemas import ApiKeyCreate, OrganizationSettingsUpdate
from app.reports import recipients as report_recipients
from app.reports.models import WhenNothingNew
from app.users import service as users
from app.users.schemas import TIME_ZONES, RoleChange, UserCreate
from app.users.service import SignedIn

router = APIRouter(prefix="/admin/settings", include_in_schema=False)
MANAGE_SETTINGS = N_("manage the organization's settings")
NOT_A_NUMBER = N_("enter a number")
NOT_A_WHOLE_NUMBER = N_("enter a whole number of days")
REQUIRED = N_("required")
REPORT_FIELDS = ("report_send_time", "report_time_zone")
KeyPrefix = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[0-9a-f]+$")]


def _admin(signed_in: SignedIn) -> None:
    require_role(signed_in, Role.ADMIN, MANAGE_SETTINGS)


def _context(session: Session, signed_in: SignedIn, **overrides: Any) -> dict[str, Any]:
    """Everything the settings page shows; `overrides` carry a refused form's values."""
    org_id = signed_in.user.organization_id
    org = settings.get(session, organization_id=org_id)
    current = settings.to_read(org)
    return {
        "users": users.list_users(session, organization_id=org_id),
        "keys": keys.list_keys(session, organization_id=org_id),
        "roles": [r.value for r in Role],
        "time_zones": TIME_ZONES,
        "settings": current,
        "matching": {
            "min_fit": "" if current.min_fit is None else str(current.min_fit),
            "no_response_days": str(current.no_response_days),
            "version": current.version,
        },
        "matching_errors": {},
        "matching_stale": False,
        "report": {
            "report_send_time": current.report_send_time,
            "report_time_zone": current.report_time_zone,
            "version": current.version,
        },
        "report_errors": {},
        "report_stale": False,
        "recipients": report_recipients.get_all(session, organization_id=org_id, limit=500)[0],
        "one_line": WhenNothingNew.ONE_LINE,
        "new_user": {"role": "analyst", "locale": "en", "time_zone": "UTC"},
        "user_errors": {},
        "new_key": {"role": "analyst"},
        "key_errors": {},
        "me": signed_in.user.id,
        **overrides,
    }


def _page(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    status_code: int = 200,
    **overrides: Any,
) -> HTMLResponse:
    return render(
        request,
        "settings/index.html",
        _context(session, signed_in, **overrides),
        signed_in=signed_in,
        status_code=status_code,
    )


async def _post(
    request: Request, signed_in: SignedIn, handle: Callable[..., Response], *args: Any
) -> Response:
    """Admins only: check the role, then the form and its token."""
    _admin(signed_in)
    return await handle_posted_form(request, signed_in, handle, *args, max_fields=20)


@router.get("", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, signed_in: UserDep) -> Response:
    """The organization's users, API keys, matching settings and nightly report."""
    _admin(signed_in)
    return _page(request, session, signed_in)


# -- users ----------------------------------------------------------------------------------


@router.post("/users", response_class=HTMLResponse)
async def create_user(request: Request, signed_in: UserDep) -> Response:
    """Create a user with a generated password, shown once on the answer page."""
    return await _post(request, signed_in, _create_user)


def _create_user(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    parsed = parse_form(UserCreate, form)
    with form_writer() as session:
        if parsed.model is None:
            return _page(
                request, session, signed_in, 422, new_user=parsed.values, user_errors=parsed.errors
            )
        data = parsed.model
        password = secrets.token_urlsafe(15)
        try:
            user = users.create_user(
                session,
                organization=settings.get(session, organization_id=signed_in.user.organization_id),
                username=data.username,
                password=password,
                role=data.role,
                display_name=data.display_name,
                by=signed_in.principal,
                locale=data.locale,
                time_zone=data.time_zone,
            )
        except (InvalidField, Conflict) as exc:
            errors = (
                field_error(exc) if isinstance(exc, InvalidField) else {"username": exc.message}
            )
            session.rollback()
            return _page(
                request, session, signed_in, 422, new_user=parsed.values, user_errors=errors
            )
        session.commit()
        return render(
            request,
            "settings/secret.html",
            {
                "kind": "password",
                "secret": password,
                "name": user.username,
                "role": user.role.value,
            },
            signed_in=signed_in,
        )


@router.post("/users/{user_id:int}/role")
async def change_role(request: Request, signed_in: UserDep, user_id: RecordId) -> Response:
    """Give one of the organization's users another role."""
    return await _post(request, signed_in, _change_role, user_id)


def _change_role(request: Request, signed_in: SignedIn, form: FormData, user_id: int) -> Response:
    parsed = parse_form(RoleChange, form)
    if parsed.model is None:
        raise PageError(422, N_("Role not changed"), N_("Choose admin, analyst or viewer."))
    with form_writer() as session:
        user = _own_user(session, signed_in, user_id)
        try:
            users.set_role(session, user=user, role=parsed.model.role, by=signed_in.principal)
        except InvalidField:
            raise PageError(
                409, N_("Role not changed"), N_("You cannot change your own role.")
            ) from None
        session.commit()
    return RedirectResponse("/admin/settings#users", status_code=303)


@router.post("/users/{user_id:int}/disable")
async def disable_user(request: Request, signed_in: UserDep, user_id: RecordId) -> Response:
    """Stop a user signing in; their sessions end at once."""
    return await _post(request, signed_in, _switch_user, user_id, False)


@router.post("/users/{user_id:int}/enable")
async def enable_user(request: Request, signed_in: UserDep, user_id: RecordId) -> Response:
    """Let a disabled user sign in again."""
    return await _post(request, signed_in, _switch_user, user_id, True)


def _switch_user(
    request: Request, signed_in: SignedIn, form: FormData, user_id: int, enable: bool
) -> Response:
    with form_writer() as session:
        user = _own_user(session, signed_in, user_id)
        if enable:
            users.enable_user(session, user=user, by=signed_in.principal)
        else:
            if user.id == signed_in.user.id:
                raise PageError(409, N_("Not disabled"), N_("You cannot disable your own account."))
            users.disable_user(session, user=user, by=signed_in.principal)
        session.commit()
    return RedirectResponse("/admin/settings#users", status_code=303)


def _own_user(session: Session, signed_in: SignedIn, user_id: int) -> Any:
    """One of the organization's users; another organization's is a 404 page."""
    try:
        return users.get_in_organization(
            session, organization_id=signed_in.user.organization_id, user_id=user_id
        )
    except NotFound:
        raise PageError(
            404,
            N_("User not found"),
            N_("There is no user %(id)s in your organization."),
            id=user_id,
        ) from None


# -- API keys -------------------------------------------------------------------------------


@router.post("/keys", response_class=HTMLResponse)
async def create_key(request: Request, signed_in: UserDep) -> Response:
    """Create an API key, shown once on the answer page and never again."""
    return await _post(request, signed_in, _create_key)


def _create_key(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    parsed = parse_form(ApiKeyCreate, form)
    with form_writer() as session:
        if parsed.model is None:
            return _page(
                request, session, signed_in, 422, new_key=parsed.values, key_errors=parsed.errors
            )
        key, raw = keys.create(
            session, principal=signed_in.principal, role=parsed.model.role, label=parsed.model.label
        )
        session.commit()
        return render(
            request,
            "settings/secret.html",
            {"kind": "key", "secret": raw, "name": key.label or key.prefix, "role": key.role.value},
            signed_in=signed_in,
        )


@router.post("/keys/{prefix}/revoke")
async def revoke_key(request: Request, signed_in: UserDep, prefix: KeyPrefix) -> Response:
    """Revoke one of the organization's API keys: it stops working at once."""
    return await _post(request, signed_in, _revoke_key, prefix)


def _revoke_key(request: Request, signed_in: SignedIn, form: FormData, prefix: str) -> Response:
    with form_writer() as session:
        try:
            keys.revoke(session, principal=signed_in.principal, prefix=prefix)
        except NotFound:
            raise PageError(
                404,
                N_("Key not found"),
                N_("Your organization has no API key %(prefix)s."),
                prefix=prefix,
            ) from None
        session.commit()
    return RedirectResponse("/admin/settings#keys", status_code=303)


# -- matching -------------------------------------------------------------------------------


@router.post("/matching", response_class=HTMLResponse)
async def change_matching(request: Request, signed_in: UserDep) -> Response:
    """Change the minimum fit and the no-response days, as PATCH /organizations/me/settings
    does; a form older than the settings is refused, nothing overwritten."""
    return await _post(request, signed_in, _change_matching)


def _change_matching(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    typed = {k: str(form.get(k) or "").strip() for k in ("min_fit", "no_response_days")}
    typed["version"] = str(form.get("version") or "")
    converted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    # The API's schema is strict (JSON numbers only): a form's text is turned into numbers here.
    try:
        converted["min_fit"] = float(typed["min_fit"]) if typed["min_fit"] else None
    except ValueError:
        errors["min_fit"] = NOT_A_NUMBER
    try:
        converted["no_response_days"] = int(typed["no_response_days"])
    except ValueError:
        errors["no_response_days"] = NOT_A_WHOLE_NUMBER
    with form_writer() as session:
        parsed = parse_form(OrganizationSettingsUpdate, {} if errors else converted)
        if errors or parsed.model is None:
            return _page(
                request,
                session,
                signed_in,
                422,
                matching=typed,
                matching_errors=errors or parsed.errors,
            )
        data = parsed.model
        if converted["min_fit"] is None:
            data.min_fit = None  # an empty field returns to the platform default
        try:
            expected = int(typed["version"])
        except ValueError:
            expected = -1
        try:
            settings.update(
                session, principal=signed_in.principal, data=data, expected_version=expected
            )
        except PreconditionFailed:
            session.rollback()
            return _page(request, session, signed_in, 409, matching=typed, matching_stale=True)
        session.commit()
    return RedirectResponse("/admin/settings?saved=matching#matching", status_code=303)


# -- nightly report -------------------------------------------------------------------------


@router.post("/report", response_class=HTMLResponse)
async def change_report(request: Request, signed_in: UserDep) -> Response:
    """Change when the nightly report is sent, as PATCH /organizations/me/settings does; a form
    older than the settings is refused, nothing overwritten."""
    return await _post(request, signed_in, _change_report)


def _change_report(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    typed = {k: str(form.get(k) or "").strip() for k in ("report_send_time", "report_time_zone")}
    typed["version"] = str(form.get("version") or "")
    with form_writer() as session:
        parsed = parse_form(OrganizationSettingsUpdate, {k: typed[k] for k in REPORT_FIELDS})
        if parsed.model is None or set(REPORT_FIELDS) - parsed.model.model_fields_set:
            errors = dict(parsed.errors)
            for name in REPORT_FIELDS:
                if not typed[name]:
                    errors[name] = REQUIRED
            return _page(request, session, signed_in, 422, report=typed, report_errors=errors)
        try:
            expected = int(typed["version"])
        except ValueError:
            expected = -1
        try:
            settings.update(
                session,
                principal=signed_in.principal,
                data=parsed.model,
                expected_version=expected,
            )
        except PreconditionFailed:
            session.rollback()
            return _page(request, session, signed_in, 409, report=typed, report_stale=True)
        session.commit()
    return RedirectResponse("/admin/settings?saved=report#report", status_code=303)
