"""Export authorization endpoints."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.authorizations import service
from app.authorizations.schemas import ExportAuthorizationCreate, ExportAuthorizationRead
from app.common.schemas import FILTER_PATTERN, Page, RecordId
from app.deps import AnalystDep, PageDep, PrincipalDep, SessionDep
from app.errors import error_responses

router = APIRouter(
    prefix="/export-authorizations",
    tags=["export authorizations"],
    responses=error_responses(401),
)


@router.get("", response_model=Page[ExportAuthorizationRead])
def list_authorizations(
    session: SessionDep,
    _principal: PrincipalDep,
    page: PageDep,
    company_id: RecordId | None = None,
    solicitation_id: RecordId | None = None,
    technology_area: Annotated[str | None, Query(max_length=64, pattern=FILTER_PATTERN)] = None,
    active: bool | None = None,
) -> Page[ExportAuthorizationRead]:
    """Recorded licences and waivers."""
    rows, total = service.get_all(
        session,
        company_id=company_id,
        solicitation_id=solicitation_id,
        technology_area=technology_area,
        active=active,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[service.to_read(a) for a in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    response_model=ExportAuthorizationRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 409, 413),
)
def create_authorization(
    data: ExportAuthorizationCreate, session: SessionDep, principal: AnalystDep
) -> ExportAuthorizationRead:
    """Record a licence or waiver for a partner."""
    auth = service.create(session, principal=principal, data=data)
    session.commit()
    return service.to_read(auth)


@router.delete(
    "/{authorization_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 409),
)
def revoke_authorization(
    authorization_id: RecordId, session: SessionDep, principal: AnalystDep
) -> None:
    """Revoke an authorization; the record stays for the audit trail."""
    service.revoke(session, principal=principal, authorization_id=authorization_id)
    session.commit()
