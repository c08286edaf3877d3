"""Solicitation schemas."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from app.common.schemas import (
    VISIBLE,
    LongText,
    ReadModel,
    ShortText,
    StrictModel,
    Url,
    UtcDatetime,
)
from app.common.validators import AreaList, NaicsList
from app.solicitations.models import (
    ExportControl,
    ForeignParticipation,
    OtaType,
    SolicitationStatus,
)

OptionalText = Annotated[str | None, Field(max_length=300)]
Code = Annotated[str | None, Field(max_length=16)]
NoticeId = Annotated[
    str, Field(min_length=1, max_length=128, pattern=rf"^{VISIBLE}([^\n]*{VISIBLE})?$")
]
Source = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Money = Annotated[float, Field(ge=0, le=1e13)]


def _deadline_after_posted(posted: date | None, deadline: datetime | None) -> None:
    if posted is not None and deadline is not None and deadline.date() < posted:
        raise ValueError("response_deadline is before posted_date")


class SolicitationCreate(StrictModel):
    source: Source = "api"
    notice_id: NoticeId
    solicitation_number: Annotated[str | None, Field(max_length=128)] = None
    title: Annotated[str, Field(min_length=1, max_length=500)]
    agency: OptionalText = None
    sub_tier: OptionalText = None
    office: OptionalText = None
    consortium: OptionalText = None
    ota_type: OtaType | None = None
    notice_type: Annotated[str | None, Field(max_length=100)] = None
    description: LongText = ""
    technology_areas: AreaList = Field(default=[], description="technology area slugs")
    naics: NaicsList = []
    classification_code: Code = None
    set_aside: Annotated[str | None, Field(max_length=200)] = None
    posted_date: date | None = None
    response_deadline: UtcDatetime | None = None
    status: SolicitationStatus = SolicitationStatus.OPEN
    export_control: ExportControl = ExportControl.NONE
    foreign_participation: ForeignParticipation = ForeignParticipation.ALLOWED
    estimated_value: Money | None = None
    awardee: OptionalText = None
    place_of_performance: OptionalText = None
    link: Url | None = None

    @model_validator(mode="after")
    def _check_dates(self) -> "SolicitationCreate":
        _deadline_after_posted(self.posted_date, self.response_deadline)
        return self


class SolicitationUpdate(StrictModel):
    """Partial update: only the fields sent are changed (source and notice id are fixed)."""

    solicitation_number: Annotated[str | None, Field(max_length=128)] = None
    title: ShortText | None = None
    agency: OptionalText = None
    sub_tier: OptionalText = None
    office: OptionalText = None
    consortium: OptionalText = None
    ota_type: OtaType | None = None
    notice_type: Annotated[str | None, Field(max_length=100)] = None
    description: LongText | None = None
    technology_areas: AreaList | None = None
    naics: NaicsList | None = None
    classification_code: Code = None
    set_aside: Annotated[str | None, Field(max_length=200)] = None
    posted_date: date | None = None
    response_deadline: UtcDatetime | None = None
    status: SolicitationStatus | None = None
    export_control: ExportControl | None = None
    foreign_participation: ForeignParticipation | None = None
    estimated_value: Money | None = None
    awardee: OptionalText = None
    place_of_performance: OptionalText = None
    link: Url | None = None

    @model_validator(mode="after")
    def _check_dates(self) -> "SolicitationUpdate":
        _deadline_after_posted(self.posted_date, self.response_deadline)
        return self


class SolicitationSummary(ReadModel):
    id: int
    source: str
    notice_id: str
    title: str
    agency: str | None
    status: SolicitationStatus
    response_deadline: datetime | None
    export_control: ExportControl
    foreign_participation: ForeignParticipation
    technology_areas: list[str]


class SolicitationRead(SolicitationSummary):
    solicitation_number: str | None
    sub_tier: str | None
    office: str | None
    consortium: str | None
    ota_type: OtaType | None
    notice_type: str | None
    description: str
    naics: list[str]
    classification_code: str | None
    set_aside: str | None
    posted_date: date | None
    estimated_value: float | None
    awardee: str | None
    place_of_performance: str | None
    link: str | None
    suggested_areas: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
