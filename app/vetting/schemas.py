"""Vetting decision schemas."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator

from app.common.schemas import ReadModel, StrictModel, UtcDatetime
from app.vetting.models import VettingStatus


class VettingDecisionCreate(StrictModel):
    status: VettingStatus
    decided_at: UtcDatetime | None = Field(
        default=None, description="when the decision was taken; defaults to now"
    )
    expires_at: UtcDatetime | None = None
    evidence: Annotated[str, Field(max_length=5000)] = ""

    @model_validator(mode="after")
    def _check(self) -> "VettingDecisionCreate":
        if self.status is not VettingStatus.PENDING and not self.evidence.strip():
            raise ValueError("evidence is required for a vetted, rejected or suspended decision")
        if self.expires_at is not None and self.status is not VettingStatus.VETTED:
            raise ValueError("expires_at applies only to a vetted decision")
        if (
            self.expires_at is not None
            and self.decided_at is not None
            and self.expires_at <= self.decided_at
        ):
            raise ValueError("expires_at must be after decided_at")
        return self


class VettingDecisionRead(ReadModel):
    id: int
    company_id: int
    status: VettingStatus
    decided_by: str
    decided_at: datetime
    expires_at: datetime | None
    evidence: str
    actor: str
