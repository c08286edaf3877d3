"""Organization endpoints."""

from fastapi import APIRouter, Response
from sqlalchemy import select

from app.deps import AdminDep, IfMatchDep, PrincipalDep, SessionDep
from app.errors import error_responses
from app.organizations import settings
from app.organizations.models import ApiKey, Organization
from app.organizations.schemas import (
    ApiKeyRead,
    MeRead,
    OrganizationRead,
    OrganizationSettingsRead,
    OrganizationSettingsUpdate,
)

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


@router.get("/me/settings", response_model=OrganizationSettingsRead)
def read_settings(
    session: SessionDep, principal: PrincipalDep, response: Response
) -> OrganizationSettingsRead:
    """The caller's organization's settings; the ETag is the version for If-Match."""
    org = settings.get(session, organization_id=principal.organization_id)
    response.headers["ETag"] = f'"{org.version}"'
    return settings.to_read(org)


@router.patch(
    "/me/settings",
    response_model=OrganizationSettingsRead,
    responses=error_responses(400, 403, 409, 412, 413),
)
def change_settings(
    data: OrganizationSettingsUpdate,
    session: SessionDep,
    principal: AdminDep,
    expected_version: IfMatchDep,
    response: Response,
) -> OrganizationSettingsRead:
    """Change the organization's settings (admin keys); a stale If-Match version gets 412."""
    org = settings.update(
        session, principal=principal, data=data, expected_version=expected_version
    )
    session.commit()
    response.headers["ETag"] = f'"{org.version}"'
    return settings.to_read(org)
