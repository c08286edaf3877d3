"""Organization and API key schemas."""

from datetime import datetime

from app.common.schemas import ReadModel
from app.organizations.models import Role, Side


class OrganizationRead(ReadModel):
    id: int
    slug: str
    name: str
    side: Side
    is_platform: bool
    contact_email: str | None


class ApiKeyRead(ReadModel):
    prefix: str
    role: Role
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class MeRead(OrganizationRead):
    key: ApiKeyRead
