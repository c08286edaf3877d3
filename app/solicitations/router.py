"""Solicitation endpoints."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime

from app.common.schemas import Page
from app.deps import AnalystDep, IfMatchDep, PageDep, PrincipalDep, SessionDep
from app.solicitations import service
from app.solicitations.models import SolicitationStatus
from app.solicitations.schemas import SolicitationCreate, SolicitationRead, SolicitationUpdate

router = APIRouter(prefix="/solicitations", tags=["solicitations"])


@router.get("", response_model=Page[SolicitationRead])
def list_solicitations(
    session: SessionDep,
    _principal: PrincipalDep,
    page: PageDep,
    status: SolicitationStatus | None = None,
    technology_area: Annotated[str | None, Query(max_length=64)] = None,
    deadline_after: AwareDatetime | None = None,
    deadline_before: AwareDatetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
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


@router.post("", response_model=SolicitationRead, status_code=status.HTTP_201_CREATED)
def create_solicitation(
    data: SolicitationCreate, session: SessionDep, principal: AnalystDep, response: Response
) -> SolicitationRead:
    """Load a solicitation; the caller's organization owns it."""
    solicitation = service.create(session, principal=principal, data=data)
    session.commit()
    response.headers["ETag"] = f'"{solicitation.version}"'
    response.headers["Location"] = f"/api/v1/solicitations/{solicitation.id}"
    return service.to_read(solicitation)


@router.get("/{solicitation_id}", response_model=SolicitationRead)
def get_solicitation(
    solicitation_id: int, session: SessionDep, _principal: PrincipalDep, response: Response
) -> SolicitationRead:
    """One solicitation; its ETag is the version for If-Match."""
    solicitation = service.get(session, solicitation_id=solicitation_id)
    response.headers["ETag"] = f'"{solicitation.version}"'
    return service.to_read(solicitation)


@router.patch("/{solicitation_id}", response_model=SolicitationRead)
def update_solicitation(
    solicitation_id: int,
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


@router.delete("/{solicitation_id}", status_code=status.HTTP_204_NO_CONTENT)
def archive_solicitation(solicitation_id: int, session: SessionDep, principal: AnalystDep) -> None:
    """Archive a solicitation."""
    service.archive(session, principal=principal, solicitation_id=solicitation_id)
    session.commit()
