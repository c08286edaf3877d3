"""Organization and API key schemas."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.common.schemas import ReadModel, StrictModel
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


MIN_FIT_MEANING = (
    "matches whose `fit` (the estimated probability that an analyst judges the pair a fit) is "
    "below this are left out of match lists and team suggestions"
)


class OrganizationSettingsRead(BaseModel):
    """The organization's settings; its ETag is the version to send back in If-Match."""

    min_fit: float | None = Field(
        description=f"{MIN_FIT_MEANING}; null follows the platform default"
    )
    applied_min_fit: float = Field(
        description="the minimum applied: min_fit, or the platform default when it is null"
    )
    platform_min_fit: float = Field(description="the platform default minimum")
    version: int


class OrganizationSettingsUpdate(StrictModel):
    """Partial update: only the fields sent change; `min_fit: null` returns to the default."""

    min_fit: Annotated[
        float | None,
        Field(ge=0, le=1, strict=True, allow_inf_nan=False, description=MIN_FIT_MEANING),
    ] = None
