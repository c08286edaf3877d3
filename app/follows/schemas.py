"""Follow and change-event schemas."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.follows.models import ChangeKind
from app.solicitations.schemas import SolicitationSummary


class ChangeRead(BaseModel):
    """One change to a solicitation: its kind, the fields it changed and who made it."""

    id: int
    solicitation_id: int
    kind: ChangeKind
    changes: dict[str, Any] = Field(
        description='{field: {"before": .., "after": ..}}; for `closed` and `reopened`, the '
        "status as readers saw it (an open solicitation past its deadline reads closed)"
    )
    source: str = Field(
        description="`import` (a file import), `deadline` (the deadline passed with no write) "
        "or the organization that edited the solicitation"
    )
    occurred_at: datetime


class FollowedChangeRead(ChangeRead):
    """A change to a solicitation your organization followed when it was made."""

    solicitation: SolicitationSummary


class FollowRead(BaseModel):
    """A solicitation your organization follows, with its latest change."""

    solicitation_id: int
    followed_by: str
    created_at: datetime
    solicitation: SolicitationSummary
    latest_change: ChangeRead | None
