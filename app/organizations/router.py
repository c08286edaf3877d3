"""Organization endpoints."""

from fastapi import APIRouter
from sqlalchemy import select

from app.deps import PrincipalDep, SessionDep
from app.errors import error_responses
from app.organizations.models import ApiKey, Organization
from app.organizations.schemas import ApiKeyRead, MeRead, OrganizationRead

router = APIRouter(prefix="/organizations", tags=["organizations"], responses=error_responses(401))


@router.get("/me", response_model=MeRead)
def who_am_i(session: SessionDep, principal: PrincipalDep) -> MeRead:
    """The caller's organization and the key in use (never the secret)."""
    org = session.get(Organization, principal.organization_id)
    prefix = principal.actor.split(":")[1]
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    return MeRead(
        **OrganizationRead.model_validate(org).model_dump(), key=ApiKeyRead.model_validate(key)
    )
