"""Technology area endpoints."""

from fastapi import APIRouter, status

from app.areas import service
from app.areas.schemas import TechnologyAreaCreate, TechnologyAreaRead
from app.deps import AdminDep, PrincipalDep, SessionDep
from app.errors import error_responses

router = APIRouter(
    prefix="/technology-areas", tags=["technology areas"], responses=error_responses(401)
)


@router.get("", response_model=list[TechnologyAreaRead])
def list_areas(session: SessionDep, _principal: PrincipalDep) -> list[TechnologyAreaRead]:
    """The controlled vocabulary of technology areas."""
    return [TechnologyAreaRead.model_validate(a) for a in service.get_all(session)]


@router.post(
    "",
    response_model=TechnologyAreaRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 403, 409, 413),
)
def create_area(
    data: TechnologyAreaCreate, session: SessionDep, _principal: AdminDep
) -> TechnologyAreaRead:
    """Extend the vocabulary (admin)."""
    area = service.create(session, data=data)
    session.commit()
    return TechnologyAreaRead.model_validate(area)
