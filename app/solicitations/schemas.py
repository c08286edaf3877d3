"""Solicitation schemas."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
    computed_field,
    model_validator,
)

from app.common.schemas import (
    VISIBLE,
    LongText,
    ReadModel,
    ShortText,
    StrictModel,
    Url,
    not_a_timestamp,
)
from app.common.validators import AreaList, NaicsList
from app.solicitations.models import (
    ExportControl,
    ForeignParticipation,
    OtaType,
    SolicitationStatus,
    deadline_before_posted,
)

OptionalText = Annotated[str | None, Field(max_length=300)]
Code = Annotated[str | None, Field(max_length=16)]
NoticeId = Annotated[
    str, Field(min_length=1, max_length=128, pattern=rf"^{VISIBLE}([^\n]*{VISIBLE})?$")
]
Source = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Money = Annotated[float, Field(ge=0, le=1e13)]


_DATE_ONLY_RE = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def _date_only(value: Any) -> Any:
    """Read "2026-03-19" as a date; every other text must be a datetime with an offset."""
    if isinstance(value, str) and _DATE_ONLY_RE.fullmatch(value):
        return date.fromisoformat(value.strip())
    return not_a_timestamp(value)


# A deadline keeps the offset it is given in ("2026-03-19T17:00:00+09:00" reads back so); a
# date alone ("2026-03-19") closes at the end of that day, US Eastern time. A time without an
# offset is refused: it would be a guess.
Deadline = Annotated[
    AwareDatetime | Annotated[date, Strict()],
    BeforeValidator(_date_only),
    Field(
        description="an ISO 8601 datetime with its offset, kept as given; or a date alone, "
        "which closes at 23:59:59 US Eastern time that day"
    ),
]


def _deadline_after_posted(posted: date | None, deadline: date | datetime | None) -> None:
    if deadline_before_posted(posted, deadline):
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
    response_deadline: Deadline | None = None
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
    response_deadline: Deadline | None = None
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


class SolicitationImport(SolicitationCreate):
    """A solicitation read from a file. Imports follow the source: a description of any length
    is kept whole, and a deadline before the posted date (an amended notice) is kept; the
    record is flagged `deadline_before_posted` and the import reports a row warning."""

    description: Annotated[str, StringConstraints(strip_whitespace=True)] = ""

    @model_validator(mode="after")
    def _check_dates(self) -> "SolicitationImport":
        return self


class SolicitationSummary(ReadModel):
    id: int
    source: str
    notice_id: str
    title: str
    agency: str | None
    status: Annotated[
        SolicitationStatus,
        Field(description="an open solicitation whose response deadline has passed reads closed"),
    ]
    response_deadline: datetime | None = Field(
        description="the deadline in the offset it was given in (a date-only deadline: "
        "23:59:59 US Eastern that day)"
    )
    export_control: ExportControl
    foreign_participation: ForeignParticipation
    technology_areas: list[str]

    @computed_field(description="the same instant in UTC")  # type: ignore[prop-decorator]
    @property
    def response_deadline_utc(self) -> datetime | None:
        """The deadline as a UTC instant."""
        deadline = self.response_deadline
        return deadline.astimezone(UTC) if deadline is not None else None


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
    response_deadline_date_only: bool = Field(
        description="the source gave only a date (response_deadline's date, in its offset)"
    )
    flags: list[str] = Field(
        description="oddities kept as the source gave them, e.g. deadline_before_posted"
    )
    estimated_value: float | None
    awardee: str | None
    place_of_performance: str | None
    link: str | None
    suggested_areas: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
