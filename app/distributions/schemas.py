"""Distribution schemas: the send, its recipients and their history, partner answers."""

from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from app.common.schemas import RecordId, StrictModel, not_a_timestamp
from app.companies.schemas import CompanySummary
from app.distributions.models import Channel, RecipientStatus
from app.solicitations.schemas import SolicitationSummary

MAX_RECIPIENTS = 200

Message = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
# A filter bound: a date (the whole day, UTC) or an instant with its offset.
DateOrInstant = Annotated[AwareDatetime | date, BeforeValidator(not_a_timestamp)]


class DistributionCreate(StrictModel):
    """Send one solicitation to some companies through one channel."""

    company_ids: Annotated[
        list[RecordId],
        Field(min_length=1, max_length=MAX_RECIPIENTS, description="the companies to send to"),
    ]
    channel: Channel
    message: Message = Field(description="the intermediary's note that goes with it")

    @field_validator("company_ids")
    @classmethod
    def _no_duplicates(cls, value: list[int]) -> list[int]:
        repeated = sorted(i for i, n in Counter(value).items() if n > 1)
        if repeated:
            raise ValueError(f"duplicate company ids: {', '.join(map(str, repeated))}")
        return value


class StatusChangeRead(BaseModel):
    """One change of a recipient's status."""

    from_status: RecipientStatus | None
    to_status: RecipientStatus
    reason: str
    actor: str = Field(description='"<org>:<key>", "partner-link" or "system"')
    occurred_at: datetime


class RecipientRead(BaseModel):
    """One company a distribution went to: what it got, where its answer stands."""

    id: int
    distribution_id: int
    company: CompanySummary
    status: RecipientStatus
    status_reason: str
    status_changed_at: datetime
    content: dict[str, Any] = Field(description="what was sent, as the recipient got it")
    withheld_reason: str | None = Field(
        description="why fields were left out of the content (null: nothing was withheld)"
    )
    viewed_at: datetime | None
    responded_at: datetime | None
    link_expires_at: datetime
    link_used_at: datetime | None
    history: list[StatusChangeRead]


class RecipientCreated(RecipientRead):
    """A new recipient, with its response link: shown here once, never again."""

    response_url: str = Field(description="the partner's response link; shown only once")


class DistributionRead(BaseModel):
    """A distribution with every recipient and each one's history."""

    id: int
    solicitation: SolicitationSummary
    channel: Channel
    message: str
    created_by: str
    created_at: datetime
    recipients: list[RecipientRead]


class DistributionCreated(DistributionRead):
    """A distribution just sent: each recipient carries its response link, once."""

    recipients: list[RecipientCreated]  # type: ignore[assignment]


class DistributionSummary(BaseModel):
    id: int
    channel: Channel
    message: str
    created_by: str
    created_at: datetime


class RecipientItem(BaseModel):
    """A recipient in a list, with its distribution, solicitation and company."""

    id: int
    distribution: DistributionSummary
    solicitation: SolicitationSummary
    company: CompanySummary
    status: RecipientStatus
    status_reason: str
    status_changed_at: datetime
    withheld_reason: str | None
    viewed_at: datetime | None
    responded_at: datetime | None
    link_expires_at: datetime


def _reason_for_decline(value: str, info: ValidationInfo) -> str:
    if info.data.get("status") is RecipientStatus.DECLINED and not value:
        raise ValueError("a decline needs a reason")
    return value


class StatusUpdate(StrictModel):
    """An answer recorded by an analyst."""

    status: Literal[
        RecipientStatus.VIEWED,
        RecipientStatus.INTERESTED,
        RecipientStatus.DECLINED,
        RecipientStatus.NO_RESPONSE,
    ]
    reason: Reason = Field(default="", validate_default=True)

    @field_validator("reason")
    @classmethod
    def _decline_has_reason(cls, value: str, info: ValidationInfo) -> str:
        return _reason_for_decline(value, info)


class ResponseAnswer(StrictModel):
    """A partner's answer through its response link."""

    status: Literal[RecipientStatus.INTERESTED, RecipientStatus.DECLINED]
    reason: Reason = Field(default="", validate_default=True)

    @field_validator("reason")
    @classmethod
    def _decline_has_reason(cls, value: str, info: ValidationInfo) -> str:
        return _reason_for_decline(value, info)


class ResponseRead(BaseModel):
    """What the partner sees behind its response link."""

    sender: str = Field(description="the intermediary that sent it")
    company_name: str
    channel: Channel
    message: str
    content: dict[str, Any]
    withheld_reason: str | None
    sent_at: datetime
    status: RecipientStatus
    status_reason: str
    expires_at: datetime
    answered_at: datetime | None
    can_answer: bool


class HeldBackReason(BaseModel):
    code: str
    message: str
    status: str


class HeldBackCompany(BaseModel):
    company_id: int
    name: str
    country: str
    role: str
    reasons: list[HeldBackReason]


class HeldBackRead(BaseModel):
    """409: the distribution was refused because some companies may not receive it."""

    detail: str
    code: str
    companies: list[HeldBackCompany]
