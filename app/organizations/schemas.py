"""Organization and API key schemas."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from app.common.schemas import ReadModel, StrictModel
from app.organizations.models import Role, Side
from app.reports.schedule import parse_send_time, parse_zone


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


NO_RESPONSE_MEANING = (
    "days after a distribution is sent before a recipient that has not answered is marked "
    "no_response (1 to 365)"
)


def whole_number(value: object) -> object:
    """JSON's 7.0 is the integer 7 (as JSON Schema says); text and fractions stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


SEND_TIME_MEANING = (
    'when the nightly report is sent, "HH:MM" on a 24-hour clock in report_time_zone'
)
TIME_ZONE_MEANING = "the IANA time zone of report_send_time, e.g. Asia/Tokyo"


class OrganizationSettingsRead(BaseModel):
    """The organization's settings; its ETag is the version to send back in If-Match."""

    min_fit: float | None = Field(
        description=f"{MIN_FIT_MEANING}; null follows the platform default"
    )
    applied_min_fit: float = Field(
        description="the minimum applied: min_fit, or the platform default when it is null"
    )
    platform_min_fit: float = Field(description="the platform default minimum")
    no_response_days: int = Field(description=NO_RESPONSE_MEANING)
    report_send_time: str = Field(description=SEND_TIME_MEANING)
    report_time_zone: str = Field(description=TIME_ZONE_MEANING)
    version: int


class OrganizationSettingsUpdate(StrictModel):
    """Partial update: only the fields sent change; `min_fit: null` returns to the default."""

    min_fit: Annotated[
        float | None,
        Field(ge=0, le=1, strict=True, allow_inf_nan=False, description=MIN_FIT_MEANING),
    ] = None
    # Optional to send, never null: the column always holds a number of days. (A default
    # given through Field is not validated, so leaving it out is allowed; null is refused.)
    no_response_days: Annotated[
        int,
        Field(ge=1, le=365, strict=True, description=NO_RESPONSE_MEANING),
        BeforeValidator(whole_number),
    ] = Field(default=None)  # type: ignore[assignment]  # read only when sent
    report_send_time: Annotated[
        str,
        Field(
            pattern=r"^[0-2][0-9]:[0-5][0-9]$", description=SEND_TIME_MEANING, examples=["07:00"]
        ),
    ] = Field(default=None)  # type: ignore[assignment]  # read only when sent
    report_time_zone: Annotated[
        str, Field(max_length=64, description=TIME_ZONE_MEANING, examples=["Asia/Tokyo"])
    ] = Field(default=None)  # type: ignore[assignment]  # read only when sent

    @field_validator("report_send_time")
    @classmethod
    def _send_time(cls, value: str) -> str:
        return parse_send_time(value).strftime("%H:%M")

    @field_validator("report_time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        return parse_zone(value).key


class ApiKeyCreate(StrictModel):
    """A new API key of the organization: its role and a label saying what it is for."""

    role: Role = Role.ANALYST
    label: Annotated[str | None, Field(max_length=200)] = None
