"""Review schemas: the analyst's write, and the review as read (alone and inside matches)."""

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from app.common.schemas import LongText, ReadModel, StrictModel
from app.reviews.models import HideReason

HIDDEN_DETAIL_MAX = 2_000

HiddenDetail = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=HIDDEN_DETAIL_MAX)
]


class ReviewUpdate(StrictModel):
    """The whole review of one match, replaced on each write (fields not sent take their
    defaults). Hiding needs a reason (`other` also needs `hidden_detail`); a hidden match cannot
    be pinned."""

    pinned: StrictBool = Field(
        default=False, description="show this match first, even below min_fit"
    )
    hidden: StrictBool = Field(
        default=False, description="pass on this match: it leaves this organization's lists"
    )
    hidden_reason: HideReason | None = Field(
        default=None, description="required when `hidden`; must be null otherwise"
    )
    hidden_detail: HiddenDetail = Field(
        default="", description="free text on the reason; required when the reason is `other`"
    )
    note: LongText = Field(
        default="", description="the analyst's note, private to the organization"
    )


class ReviewRead(ReadModel):
    """One organization's review of a match."""

    solicitation_id: int
    company_id: int
    pinned: bool
    hidden: bool
    hidden_reason: HideReason | None
    hidden_detail: str
    note: str
    created_at: datetime
    updated_at: datetime
    updated_by: str
    version: int
