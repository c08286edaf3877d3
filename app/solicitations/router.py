"""Solicitation endpoints."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.common.schemas import FILTER_PATTERN, Page, RecordId, UtcDatetime
from app.deps import AnalystDep, IfMatchDep, PageDep, PrincipalDep, SessionDep
from app.errors import error_responses
from app.solicitations import service
from app.solicitations.models import SolicitationStatus
from app.solicitations.schemas import SolicitationCreate, SolicitationRead, SolicitationUpdate

router = APIRouter(prefix="/solicitations", tags=["solicitations"], responses=error_responses(401))


@router.get("", response_model=Page[SolicitationRead])
def list_solicitations(
    session: SessionDep,
    _principal: PrincipalDep,
    page: PageDep,
    status: SolicitationStatus | None = None,
    technology_area: Annotated[str | None, Query(max_length=64, pattern=FILTER_PATTERN)] = None,
    deadline_after: UtcDatetime | None = None,
    deadline_before: UtcDatetime | None = None,
    q: Annotated[str | None, Query(max_length=200, pattern=FILTER_PATTERN)] = None,
) -> Page[SolicitationRead]:
    """Solicitations, soonest deadline first."""
    rows, total = service.get_all(
        session,
        status=status,
        technology_area=technology_area,
        deadline_after=deadline_after,
        deadline_before=deadline_before,
        q=q,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[service.to_read(s) for s in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "",
    response_model=SolicitationRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 409, 413),
)
def create_solicitation(
    data: SolicitationCreate, session: SessionDep, principal: AnalystDep, response: Response
) -> SolicitationRead:
    """Load a solicitation; the caller's organization owns it."""
    solicitation = service.create(session, principal=principal, data=data)
    session.commit()
    response.headers["ETag"] = f'"{solicitation.version}"'
    response.headers["Location"] = f"/api/v1/solicitations/{solicitation.id}"
    return service.to_read(solicitation)


@router.get(
    "/{solicitation_id:int}", response_model=SolicitationRead, responses=error_responses(404)
)
def get_solicitation(
    solicitation_id: RecordId, session: SessionDep, _principal: PrincipalDep, response: Response
) -> SolicitationRead:
    """One solicitation; its ETag is the version for If-Match."""
    solicitation = service.get(session, solicitation_id=solicitation_id)
    response.headers["ETag"] = f'"{solicitation.version}"'
    return service.to_read(solicitation)


@router.patch(
    "/{solicitation_id:int}",
    response_model=SolicitationRead,
    responses=error_responses(400, 403, 404, 409, 412, 413),
)
def update_solicitation(
    solicitation_id: RecordId,
    data: SolicitationUpdate,
    session: SessionDep,
    principal: AnalystDep,
    expected_version: IfMatchDep,
    response: Response,
) -> SolicitationRead:
    """Change some fields; a stale If-Match version gets 412."""
    solicitation = service.update(
        session,
        principal=principal,
        solicitation_id=solicitation_id,
        data=data,
        expected_version=expected_version,
    )
    session.commit()
    response.headers["ETag"] = f'"{solicitation.version}"'
    return service.to_read(solicitation)


@router.delete(
    "/{solicitation_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 409),
)
def archive_solicitation(
    solicitation_id: RecordId, session: SessionDep, principal: AnalystDep
) -> None:
    """Archive a solicitation."""
    service.archive(session, principal=principal, solicitation_id=solicitation_id)
    session.commit()
