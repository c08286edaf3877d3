"""Company endpoints: thin wrappers over the service."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from app.common.schemas import FILTER_PATTERN, Page, RecordId
from app.companies import service
from app.companies.models import CompanyRole
from app.companies.schemas import CompanyCreate, CompanyRead, CompanyUpdate
from app.deps import AnalystDep, IfMatchDep, PageDep, PrincipalDep, SessionDep
from app.errors import error_responses
from matching.language import ProfileLanguage

router = APIRouter(prefix="/companies", tags=["companies"], responses=error_responses(401))
VettingFilter = Literal[
    "vetted", "pending", "rejected", "suspended", "expired", "unvetted", "not_required"
]


@router.get("", response_model=Page[CompanyRead])
def list_companies(
    session: SessionDep,
    _principal: PrincipalDep,
    page: PageDep,
    role: CompanyRole | None = None,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$")] = None,
    technology_area: Annotated[str | None, Query(max_length=64, pattern=FILTER_PATTERN)] = None,
    vetting_status: VettingFilter | None = None,
    profile_language: Annotated[
        ProfileLanguage | None,
        Query(description="the detected profile language: en, ja or en+ja (both)"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=FILTER_PATTERN,
            description="text in name or narrative (either language)",
        ),
    ] = None,
) -> Page[CompanyRead]:
    """Company profiles, shared across organizations for reading."""
    rows, total = service.get_all(
        session,
        role=role,
        country=country,
        technology_area=technology_area,
        vetting_status=vetting_status,
        profile_language=profile_language,
        q=q,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[service.to_read(c) for c in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    response_model=CompanyRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 409, 413),
)
def create_company(
    data: CompanyCreate, session: SessionDep, principal: AnalystDep, response: Response
) -> CompanyRead:
    """Create a company profile owned by the caller's organization."""
    company = service.create(session, principal=principal, data=data)
    session.commit()
    response.headers["ETag"] = f'"{company.version}"'
    response.headers["Location"] = f"/api/v1/companies/{company.id}"
    return service.to_read(company)


@router.get("/{company_id:int}", response_model=CompanyRead, responses=error_responses(404))
def get_company(
    company_id: RecordId, session: SessionDep, _principal: PrincipalDep, response: Response
) -> CompanyRead:
    """One company profile; its ETag is the version to send back in If-Match."""
    company = service.get(session, company_id=company_id)
    response.headers["ETag"] = f'"{company.version}"'
    return service.to_read(company)


@router.patch(
    "/{company_id:int}",
    response_model=CompanyRead,
    responses=error_responses(400, 403, 404, 409, 412, 413),
)
def update_company(
    company_id: RecordId,
    data: CompanyUpdate,
    session: SessionDep,
    principal: AnalystDep,
    expected_version: IfMatchDep,
    response: Response,
) -> CompanyRead:
    """Change some fields; a stale If-Match version gets 412."""
    company = service.update(
        session,
        principal=principal,
        company_id=company_id,
        data=data,
        expected_version=expected_version,
    )
    session.commit()
    response.headers["ETag"] = f'"{company.version}"'
    return service.to_read(company)


@router.delete(
    "/{company_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 409),
)
def archive_company(company_id: RecordId, session: SessionDep, principal: AnalystDep) -> None:
    """Archive a company (history and audit stay)."""
    service.archive(session, principal=principal, company_id=company_id)
    session.commit()
