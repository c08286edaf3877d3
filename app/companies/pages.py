"""Admin pages for companies: the list with the API's filters, create and edit forms for both
roles, and a company's page (profile, vetting, export authorizations, matches, distributions).

Forms are parsed by the API's own schemas (`CompanyCreate`, `VettingDecisionCreate`,
`ExportAuthorizationCreate`), so a form refuses exactly what the API refuses; each error is
shown beside its field with what was typed.
"""

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.admin import i18n
from app.admin.forms import ParsedForm, field_error, parse_form
from app.admin.i18n import gettext
from app.admin.web import PageError, UserDep, check_csrf, render, require_role
from app.areas import service as areas_service
from app.authorizations import service as authorizations
from app.authorizations.models import Authority
from app.authorizations.schemas import ExportAuthorizationCreate
from app.common.schemas import Offset, RecordId
from app.companies import service
from app.companies.models import Company, CompanyRole
from app.companies.schemas import CompanyCreate, CompanyUpdate
from app.db import get_sessionmaker, utcnow
from app.deps import RankerDep, SessionDep
from app.distributions import service as distributions
from app.errors import AppError, Conflict, Forbidden, InvalidField, NotFound, PreconditionFailed
from app.matches import service as matches
from app.matches.schemas import CompanyMatches
from app.organizations.models import Role
from app.users.service import SignedIn
from app.vetting import service as vetting
from app.vetting.models import VettingStatus
from app.vetting.schemas import VettingDecisionCreate
from matching.language import detect_language

router = APIRouter(prefix="/admin/companies", include_in_schema=False)

PER_PAGE = 50
MATCHES_SHOWN = 10
DISTRIBUTIONS_SHOWN = 50
MIN_CONTACT_ROWS = 3
CONTACT_FIELDS = ("name", "title", "email", "phone")
LIST_FIELDS = ("keywords", "naics", "certifications", "consortia", "technology_areas")
TEXT_FIELDS = (
    "role",
    "country",
    "name",
    "name_ja",
    "website",
    "narrative",
    "narrative_ja",
    "uei",
    "cage",
    "corporate_number",
)
VETTING_FILTERS = (
    "vetted",
    "pending",
    "rejected",
    "suspended",
    "expired",
    "unvetted",
    "not_required",
)
FILTER_TEXT = re.compile(r"^[^\x00-\x1f\x7f]*$")
CONTACT_KEY = re.compile(r"^contact-(\d{1,2})-(name|title|email|phone)$")


def speaking(request: Request, signed_in: SignedIn) -> AbstractContextManager[None]:
    """Messages in the user's language and time zone within the block."""
    user = signed_in.user
    return i18n.use(i18n.request_locale(request, user.locale), user.time_zone)


def _spoken(
    function: Callable[..., Response], request: Request, signed_in: SignedIn, *args: Any
) -> Response:
    """Run a form's handler (in the thread pool) speaking the user's language."""
    with speaking(request, signed_in):
        return function(request, signed_in, *args)


# -- the list ------------------------------------------------------------------------------


@dataclass
class ListFilters:
    """What the list is filtered on, as typed, and what is wrong with it."""

    q: str = ""
    role: str = ""
    country: str = ""
    technology_area: str = ""
    vetting_status: str = ""
    profile_language: str = ""

    def errors(self, known_areas: set[str]) -> dict[str, str]:
        """Each filter that cannot be applied, with why."""
        errors: dict[str, str] = {}
        if len(self.q) > 200 or not FILTER_TEXT.match(self.q):
            errors["q"] = gettext("Use up to 200 characters, without control characters.")
        if self.role and self.role not in {r.value for r in CompanyRole}:
            errors["role"] = gettext("Choose a role from the list.")
        if self.country and not re.fullmatch(r"[A-Za-z]{2}", self.country):
            errors["country"] = gettext("Use a two-letter country code, e.g. JP or US.")
        if self.technology_area and self.technology_area not in known_areas:
            errors["technology_area"] = gettext("Choose a technology area from the list.")
        if self.vetting_status and self.vetting_status not in VETTING_FILTERS:
            errors["vetting_status"] = gettext("Choose a vetting status from the list.")
        if self.profile_language and self.profile_language not in service.PROFILE_LANGUAGES:
            errors["profile_language"] = gettext("Choose a profile language from the list.")
        return errors

    def query(self, **extra: Any) -> str:
        """These filters (and `extra`) as a query string, for the pager's links."""
        values = {k: v for k, v in vars(self).items() if v}
        return urlencode({**values, **{k: v for k, v in extra.items() if v}})


@router.get("", response_class=HTMLResponse)
def list_page(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    q: Annotated[str, Query(max_length=400)] = "",
    role: Annotated[str, Query(max_length=40)] = "",
    country: Annotated[str, Query(max_length=40)] = "",
    technology_area: Annotated[str, Query(max_length=80)] = "",
    vetting_status: Annotated[str, Query(max_length=40)] = "",
    profile_language: Annotated[str, Query(max_length=40)] = "",
    offset: Offset = 0,
) -> Response:
    """Companies matching the filters (the API's), by name, a page at a time."""
    filters = ListFilters(
        q=q.strip(),
        role=role,
        country=country.strip().upper(),
        technology_area=technology_area,
        vetting_status=vetting_status,
        profile_language=profile_language,
    )
    areas = areas_service.get_all(session)
    with speaking(request, signed_in):
        errors = filters.errors({a.slug for a in areas})
    rows: list[Company] = []
    total = 0
    if not errors:
        rows, total = service.get_all(
            session,
            role=CompanyRole(filters.role) if filters.role else None,
            country=filters.country or None,
            technology_area=filters.technology_area or None,
            vetting_status=filters.vetting_status or None,
            profile_language=filters.profile_language or None,
            q=filters.q or None,
            limit=PER_PAGE,
            offset=offset,
        )
    now = utcnow()
    return render(
        request,
        "companies/index.html",
        {
            "filters": filters,
            "errors": errors,
            "areas": areas,
            "area_by_slug": {a.slug: a for a in areas},
            "rows": [{"company": c, "vetting": c.effective_vetting(now)} for c in rows],
            "total": total,
            "offset": offset,
            "per_page": PER_PAGE,
            "previous": filters.query(offset=max(offset - PER_PAGE, 0)),
            "next": filters.query(offset=offset + PER_PAGE),
            "vetting_filters": VETTING_FILTERS,
            "profile_languages": service.PROFILE_LANGUAGES,
            "may_write": signed_in.user.role is not Role.VIEWER,
        },
        signed_in=signed_in,
        status_code=422 if errors else 200,
    )


# -- create and edit -----------------------------------------------------------------------


def company_form_values(company: Company) -> dict[str, Any]:
    """A stored company as the form shows it."""
    return {
        **{key: getattr(company, key) or "" for key in TEXT_FIELDS},
        "role": company.role.value,
        "keywords": company.keywords,
        "naics": company.naics,
        "certifications": company.certifications,
        "consortia": company.consortia,
        "technology_areas": company.area_slugs,
        "contacts": company.contacts,
    }


def contact_rows(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contact rows to show: the given ones and at least one empty row, three at least."""
    rows = [{k: c.get(k) or "" for k in CONTACT_FIELDS} for c in contacts]
    while len(rows) < max(MIN_CONTACT_ROWS, len(contacts) + 1):
        rows.append(dict.fromkeys(CONTACT_FIELDS, ""))
    return rows


def form_mapping(form: FormData) -> dict[str, Any]:
    """The company form as a mapping for `parse_form`: lists as one text each, contact rows as
    a list of objects (empty rows left out, empty cells absent)."""
    mapping: dict[str, Any] = {key: str(form.get(key) or "") for key in TEXT_FIELDS}
    for key in LIST_FIELDS:
        mapping[key] = "\n".join(str(v) for v in form.getlist(key))
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.multi_items():
        found = CONTACT_KEY.match(key)
        if found and isinstance(value, str) and value.strip():
            rows.setdefault(int(found.group(1)), {})[found.group(2)] = value.strip()
    mapping["contacts"] = [rows[i] for i in sorted(rows)]
    return mapping


def typed_values(mapping: dict[str, Any]) -> dict[str, Any]:
    """What was typed, as the form shows it again."""
    values = {key: mapping.get(key, "") for key in TEXT_FIELDS}
    for key in LIST_FIELDS:
        values[key] = [p for p in re.split(r"[\n,]", mapping.get(key, "")) if p.strip()]
        values[key] = [p.strip() for p in values[key]]
    values["contacts"] = mapping["contacts"]
    return values


def parse_company(mapping: dict[str, Any]) -> tuple[CompanyCreate | None, dict[str, str]]:
    """The form through the API's create schema; a contact row without a name is named."""
    parsed = parse_form(CompanyCreate, mapping, lists=LIST_FIELDS)
    errors = dict(parsed.errors)
    hints = {
        "website": gettext("Use an address starting with http:// or https://."),
        "contacts": gettext("Check the contacts' email addresses."),
    }
    if "Japanese text" in errors.get("narrative_ja", ""):
        errors["narrative_ja"] = gettext(
            "Write the Japanese version in Japanese; English goes in the narrative."
        )
    for name, message in list(errors.items()):
        # A regular expression is no message for a person.
        if message.startswith("String should match pattern"):
            errors[name] = hints.get(name, gettext("This is not in the expected form."))
    for number, row in enumerate(mapping["contacts"], start=1):
        if "name" not in row:
            errors["contacts"] = gettext("Contact %(n)s needs a name.", n=number)
            break
    return (parsed.model if not errors else None), errors


def clash_error(exc: Conflict) -> dict[str, str]:
    """A natural key another company holds (409 in the API), beside its field."""
    for key in service.NATURAL_KEYS:
        if re.search(rf"\b{key} ", exc.message):
            return {key: gettext("Another company already has this value.")}
    return {"__all__": exc.message}


def _form_page(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    company: Company | None = None,
    version: int | None = None,
    stale: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "companies/form.html",
        {
            "company": company,
            "values": values,
            "contacts": contact_rows(values.get("contacts") or []),
            "errors": errors,
            "areas": areas_service.get_all(session),
            "version": version,
            "stale": stale,
            "action": f"/admin/companies/{company.id}/edit" if company else "/admin/companies/new",
        },
        signed_in=signed_in,
        status_code=status_code,
    )


@router.get("/new", response_class=HTMLResponse)
def new_page(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    role: Annotated[CompanyRole, Query()] = CompanyRole.JP_PARTNER,
) -> Response:
    """An empty form for a Japanese partner or a US performer."""
    require_role(signed_in, Role.ANALYST, "add companies")
    country = "JP" if role is CompanyRole.JP_PARTNER else "US"
    values: dict[str, Any] = {"role": role.value, "country": country, "contacts": []}
    return _form_page(request, session, signed_in, values=values, errors={})


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, signed_in: UserDep) -> Response:
    """Create the company, or show the form again with each error beside its field."""
    require_role(signed_in, Role.ANALYST, "add companies")
    form = await request.form(max_files=0, max_fields=400)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_spoken, _create, request, signed_in, form)


def _create(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    mapping = form_mapping(form)
    session = get_sessionmaker()()
    try:
        data, errors = parse_company(mapping)
        status_code = 422
        if data is not None:
            try:
                company = service.create(session, principal=signed_in.principal, data=data)
            except InvalidField as exc:
                errors = field_error(exc)
            except Conflict as exc:
                errors, status_code = clash_error(exc), 409
            else:
                session.commit()
                return RedirectResponse(f"/admin/companies/{company.id}", status_code=303)
        session.rollback()
        return _form_page(
            request,
            session,
            signed_in,
            values=typed_values(mapping),
            errors=errors,
            status_code=status_code,
        )
    finally:
        session.rollback()
        session.close()


def _editable(session: Session, signed_in: SignedIn, company_id: int) -> Company:
    """The company, if this user may edit it: analysts of its organization, or a platform
    admin (403 page otherwise)."""
    require_role(signed_in, Role.ANALYST, "edit companies")
    company = _company(session, company_id)
    if not signed_in.principal.may_change(company.created_by_id):
        raise PageError(
            403,
            gettext("Not allowed"),
            gettext(
                "%(name)s belongs to %(owner)s: only its own analysts change it.",
                name=company.name,
                owner=company.created_by.name,
            ),
        )
    return company


def _company(session: Session, company_id: int) -> Company:
    try:
        return service.get(session, company_id=company_id)
    except NotFound as exc:
        raise PageError(
            404,
            gettext("Company not found"),
            gettext("There is no company %(id)s to show.", id=company_id),
        ) from exc


@router.get("/{company_id:int}/edit", response_class=HTMLResponse)
def edit_page(
    request: Request, session: SessionDep, signed_in: UserDep, company_id: RecordId
) -> Response:
    """The company's form, filled in, carrying the version it shows."""
    with speaking(request, signed_in):
        company = _editable(session, signed_in, company_id)
    return _form_page(
        request,
        session,
        signed_in,
        values=company_form_values(company),
        errors={},
        company=company,
        version=company.version,
    )


@router.post("/{company_id:int}/edit", response_class=HTMLResponse)
async def edit(request: Request, signed_in: UserDep, company_id: RecordId) -> Response:
    """Save the form over the version it was read at; a stale one is refused, kept as typed."""
    require_role(signed_in, Role.ANALYST, "edit companies")
    form = await request.form(max_files=0, max_fields=400)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_spoken, _edit, request, signed_in, company_id, form)


def _edit(request: Request, signed_in: SignedIn, company_id: int, form: FormData) -> Response:
    mapping = form_mapping(form)
    raw_version = str(form.get("version") or "")
    version = int(raw_version) if raw_version.isdigit() else None
    session = get_sessionmaker()()
    try:
        company = _editable(session, signed_in, company_id)
        stale = False
        status_code = 422
        data, errors = parse_company(mapping)
        if version is None:
            stale = True
        elif data is not None:
            # Every field of the form is sent: a field emptied in the form is cleared.
            update = CompanyUpdate.model_validate(data.model_dump())
            try:
                service.update(
                    session,
                    principal=signed_in.principal,
                    company_id=company_id,
                    data=update,
                    expected_version=version,
                )
            except PreconditionFailed:
                stale = True
            except Forbidden as exc:
                raise PageError(403, gettext("Not allowed"), exc.message) from exc
            except InvalidField as exc:
                errors = field_error(exc)
            except Conflict as exc:
                errors, status_code = clash_error(exc), 409
            else:
                session.commit()
                return RedirectResponse(f"/admin/companies/{company_id}", status_code=303)
        session.rollback()
        company = _company(session, company_id)
        return _form_page(
            request,
            session,
            signed_in,
            values=typed_values(mapping),
            errors=errors,
            company=company,
            version=version,
            stale=stale,
            status_code=409 if stale else status_code,
        )
    finally:
        session.rollback()
        session.close()


# -- a company's page ----------------------------------------------------------------------


def _end_of_day(day: date, time_zone: str) -> datetime:
    """A date typed in a form, as the last second of that day in the user's zone."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=i18n.zone(time_zone))


def _company_page(
    request: Request,
    session: Session,
    signed_in: SignedIn,
    company: Company,
    *,
    ranker: Any,
    vetting_form: dict[str, Any] | None = None,
    authorization_form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    principal = signed_in.principal
    now = utcnow()
    writer = signed_in.user.role is not Role.VIEWER
    is_partner = company.role is CompanyRole.JP_PARTNER
    matched: CompanyMatches | None = None
    matches_error = None
    try:
        matched = matches.match_company(
            session,
            ranker=ranker,
            company_id=company.id,
            limit=MATCHES_SHOWN,
            include_held_back=True,
            organization_id=principal.organization_id,
        )
    except AppError as exc:
        matches_error = exc.message
    received, received_total = distributions.list_recipients(
        session,
        principal=principal,
        filters=distributions.Filters(company_id=company.id),
        limit=DISTRIBUTIONS_SHOWN,
        offset=0,
    )
    return render(
        request,
        "companies/page.html",
        {
            "company": company,
            "vetting": company.effective_vetting(now),
            "narrative_language": detect_language(company.narrative),
            "keyword_languages": {k: detect_language(k) for k in company.keywords},
            "is_partner": is_partner,
            "may_edit": writer and principal.may_change(company.created_by_id),
            "may_vouch": writer and is_partner and principal.may_vouch_for(company.created_by_id),
            "history": vetting.get_history(session, company_id=company.id) if is_partner else [],
            "authorizations": authorizations.get_all(session, company_id=company.id, limit=200)[0]
            if is_partner
            else [],
            "matches": matched,
            "matches_error": matches_error,
            "received": received,
            "received_total": received_total,
            "areas": areas_service.get_all(session),
            "vetting_statuses": [s.value for s in VettingStatus],
            "authorities": [a.value for a in Authority],
            "today": now.date(),
            "vetting_form": vetting_form or {"values": {}, "errors": {}},
            "authorization_form": authorization_form
            or {"values": {"valid_from": date.today().isoformat()}, "errors": {}},
        },
        signed_in=signed_in,
        status_code=status_code,
    )


@router.get("/{company_id:int}", response_class=HTMLResponse)
def company_page(
    request: Request,
    session: SessionDep,
    signed_in: UserDep,
    ranker: RankerDep,
    company_id: RecordId,
) -> Response:
    """A company's profile, vetting, authorizations, best open solicitations and what this
    organization sent it."""
    with speaking(request, signed_in):
        company = _company(session, company_id)
    return _company_page(request, session, signed_in, company, ranker=ranker)


@router.post("/{company_id:int}/vetting", response_class=HTMLResponse)
async def record_vetting(
    request: Request, signed_in: UserDep, ranker: RankerDep, company_id: RecordId
) -> Response:
    """Record a vetting decision on a Japanese partner."""
    require_role(signed_in, Role.ANALYST, "record vetting decisions")
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(_spoken, _vet, request, signed_in, ranker, company_id, form)


def _vet(
    request: Request, signed_in: SignedIn, ranker: Any, company_id: int, form: FormData
) -> Response:
    typed = {k: str(form.get(k) or "") for k in ("status", "expires_on", "evidence")}
    mapping: dict[str, Any] = {"status": typed["status"], "evidence": typed["evidence"]}
    errors: dict[str, str] = {}
    if typed["expires_on"]:
        try:
            day = date.fromisoformat(typed["expires_on"])
            mapping["expires_at"] = _end_of_day(day, signed_in.user.time_zone).isoformat()
        except ValueError:
            errors["expires_at"] = gettext("Use a date such as 2027-03-31.")

    def decide(session: Session, data: VettingDecisionCreate) -> None:
        vetting.decide(session, principal=signed_in.principal, company_id=company_id, data=data)

    return _record_on_page(
        request,
        signed_in,
        ranker,
        company_id,
        parse=lambda: parse_form(VettingDecisionCreate, mapping),
        save=decide,
        typed=typed,
        errors=errors,
        form_name="vetting_form",
        anchor="vetting",
        default_field="evidence",
    )


def _record_on_page(
    request: Request,
    signed_in: SignedIn,
    ranker: Any,
    company_id: int,
    *,
    parse: Callable[[], ParsedForm[Any]],
    save: Callable[[Session, Any], None],
    typed: dict[str, str],
    errors: dict[str, str],
    form_name: str,
    anchor: str,
    default_field: str,
) -> Response:
    """Save what a form on a company's page records (a vetting decision, an authorization)
    and go back to it; or show the page again with the errors beside the form's fields."""
    session = get_sessionmaker()()
    try:
        company = _company(session, company_id)
        if not errors:
            parsed = parse()
            errors = parsed.errors
            if parsed.model is not None:
                try:
                    save(session, parsed.model)
                except Forbidden as exc:
                    raise PageError(403, gettext("Not allowed"), exc.message) from exc
                except InvalidField as exc:
                    errors = field_error(exc)
                else:
                    session.commit()
                    return RedirectResponse(
                        f"/admin/companies/{company_id}#{anchor}", status_code=303
                    )
        session.rollback()
        if "__all__" in errors:  # a rule across fields that names none of this form's
            errors.setdefault(default_field, errors.pop("__all__"))
        return _company_page(
            request,
            session,
            signed_in,
            company,
            ranker=ranker,
            status_code=422,
            **{form_name: {"values": typed, "errors": errors}},
        )
    finally:
        session.rollback()
        session.close()


@router.post("/{company_id:int}/authorizations", response_class=HTMLResponse)
async def add_authorization(
    request: Request, signed_in: UserDep, ranker: RankerDep, company_id: RecordId
) -> Response:
    """Record an export authorization (licence or waiver) for a Japanese partner."""
    require_role(signed_in, Role.ANALYST, "record export authorizations")
    form = await request.form(max_files=0, max_fields=20)
    check_csrf(request, form, signed_in.session_token)
    return await run_in_threadpool(
        _spoken, _authorize, request, signed_in, ranker, company_id, form
    )


AUTHORIZATION_FIELDS = (
    "authority",
    "reference",
    "solicitation_id",
    "technology_area",
    "scope",
    "valid_from",
    "valid_until",
    "notes",
)


def _authorize(
    request: Request, signed_in: SignedIn, ranker: Any, company_id: int, form: FormData
) -> Response:
    typed = {k: str(form.get(k) or "") for k in AUTHORIZATION_FIELDS}

    def create(session: Session, data: ExportAuthorizationCreate) -> None:
        authorizations.create(session, principal=signed_in.principal, data=data)

    return _record_on_page(
        request,
        signed_in,
        ranker,
        company_id,
        parse=lambda: parse_form(
            ExportAuthorizationCreate, {**typed, "company_id": str(company_id)}
        ),
        save=create,
        typed=typed,
        errors={},
        form_name="authorization_form",
        anchor="authorizations",
        default_field="reference",
    )
