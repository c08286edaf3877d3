"""What the reports API takes and gives: recipients, the outbox and previews."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from app.common.schemas import SPACE, ReadModel, StrictModel, not_a_timestamp
from app.common.validators import AreaList
from app.organizations.schemas import whole_number
from app.reports.models import (
    DEFAULT_MAX_MATCHES,
    MAX_MATCHES_LIMIT,
    ReportStatus,
    WhenNothingNew,
)
from app.reports.schemas import Report

EMAIL_PATTERN = rf"^[^@<>{SPACE}]+@[^@<>{SPACE}]+\.[^@<>{SPACE}]+$"
_EMAIL = re.compile(EMAIL_PATTERN)


def email_address(value: str) -> str:
    """An address of the form name@domain.tld, said plainly when it is not one."""
    if not _EMAIL.match(value):
        raise ValueError("is not an email address (name@example.org)")
    return value


# The pattern is published in the schema; the check says what is wrong in words.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320),
    AfterValidator(email_address),
    WithJsonSchema({"type": "string", "maxLength": 320, "pattern": EMAIL_PATTERN}),
]
Locale = Literal["en", "ja"]
RecipientName = Annotated[str | None, Field(max_length=200)]
MinFit = Annotated[
    float | None,
    Field(
        ge=0,
        le=1,
        strict=True,
        allow_inf_nan=False,
        description="matches below this fit are left out; null follows the organization's minimum",
    ),
]
MaxMatches = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_MATCHES_LIMIT,
        strict=True,
        description=f"at most this many matches per solicitation (1 to {MAX_MATCHES_LIMIT})",
    ),
    BeforeValidator(whole_number),
]
AREAS_MEANING = "technology area slugs the recipient reads about; empty means every area"
LOCALE_MEANING = "the language of the report's fixed texts"
NOTHING_NEW_MEANING = (
    "on a night with nothing new: one_line sends a one-line mail, no_mail sends none"
)


class RecipientCreate(StrictModel):
    """A new recipient of the organization's nightly report."""

    email: Email
    name: RecipientName = None
    locale: Locale = Field(default="en", description=LOCALE_MEANING)
    technology_areas: AreaList = Field(default=[], description=AREAS_MEANING)
    min_fit: MinFit = None
    max_matches: MaxMatches = DEFAULT_MAX_MATCHES
    when_nothing_new: WhenNothingNew = Field(
        default=WhenNothingNew.ONE_LINE, description=NOTHING_NEW_MEANING
    )


class RecipientUpdate(StrictModel):
    """Partial update: only the fields sent change. `opted_out: true` stops the reports (the
    admin is recorded as who opted out), `false` starts them again."""

    # Optional to send, never null: the columns always hold a value. (A default is not
    # validated, so leaving a field out is allowed; null is refused.)
    email: Email = None  # type: ignore[assignment]
    name: RecipientName = None
    locale: Annotated[Locale, Field(description=LOCALE_MEANING)] = None  # type: ignore[assignment]
    technology_areas: Annotated[AreaList, Field(description=AREAS_MEANING)] = None  # type: ignore[assignment]
    min_fit: MinFit = None
    max_matches: MaxMatches = None  # type: ignore[assignment]
    when_nothing_new: Annotated[WhenNothingNew, Field(description=NOTHING_NEW_MEANING)] = None  # type: ignore[assignment]
    opted_out: Annotated[
        StrictBool, Field(description="true stops the reports, false starts them again")
    ] = None  # type: ignore[assignment]


class RecipientRead(ReadModel):
    """A recipient; its ETag is the version to send back in If-Match."""

    id: int
    email: str
    name: str | None
    locale: str
    technology_areas: list[str]
    min_fit: float | None
    max_matches: int
    when_nothing_new: WhenNothingNew
    opted_out_at: datetime | None = Field(description="when the reports were stopped, if they are")
    opted_out_by: str | None = Field(
        description='"link" (the recipient\'s own click in a mail) or the admin who did it'
    )
    created_at: datetime
    updated_at: datetime
    version: int


class ReportMessageRead(ReadModel):
    """One report in the outbox: to whom, for which night, and how sending it went."""

    id: int
    recipient_id: int
    to_address: str
    locale: str
    report_date: date
    window_start: datetime = Field(description="the report covers [window_start, window_end)")
    window_end: datetime
    subject: str
    message_id: str = Field(description="the Message-ID header, without angle brackets")
    status: ReportStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    summary: dict[str, Any] = Field(description="counts of what the report holds")
    created_at: datetime
    sent_at: datetime | None


PreviewFormat = Literal["json", "html", "text"]


class ReportPreview(BaseModel):
    """A report as it would be written now, rendered and not sent."""

    report_date: date
    window_start: datetime
    window_end: datetime
    recipient_id: int | None = Field(description="null: the organization's default reader")
    mail: Literal["report", "nothing_new", "none"] = Field(
        description="what would be sent: the report, the one-line nothing-new mail, or nothing"
    )
    subject: str
    report: Report


# Report dates far from now would overflow the zone arithmetic; no report is that old or ahead.
EARLIEST_REPORT_DATE = date(2000, 1, 1)
LATEST_REPORT_DATE = date(2999, 12, 31)


def within_report_dates(value: date) -> date:
    """Refuse a report date outside the years reports can have (a 422 naming the parameter)."""
    if not EARLIEST_REPORT_DATE <= value <= LATEST_REPORT_DATE:
        raise ValueError(
            f"must be a date from {EARLIEST_REPORT_DATE} to {LATEST_REPORT_DATE}, e.g. 2027-01-15"
        )
    return value


ReportDate = Annotated[date, BeforeValidator(not_a_timestamp), AfterValidator(within_report_dates)]
