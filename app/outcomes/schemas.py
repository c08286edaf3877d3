"""Outcome schemas."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.common.schemas import ReadModel, StrictModel
from app.outcomes.models import OutcomeKind

REASON_MAX = 2_000


class OutcomeCreate(StrictModel):
    """What came of a match, and why."""

    outcome: OutcomeKind
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=REASON_MAX)] = Field(
        default="", description="why, in a few words (e.g. the partner's answer)"
    )


class OutcomeRead(ReadModel):
    id: int
    solicitation_id: int
    company_id: int
    outcome: OutcomeKind
    reason: str
    recorded_by: str
    recorded_at: datetime


class OutcomeHistory(BaseModel):
    """A pair's outcomes for your organization: the newest is its current outcome."""

    solicitation_id: int
    company_id: int
    current: OutcomeRead
    history: list[OutcomeRead] = Field(description="newest first; the first is `current`")
