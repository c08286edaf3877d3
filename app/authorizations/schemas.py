"""Export authorization schemas."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, model_validator

from app.authorizations.models import Authority
from app.common.schemas import ReadModel, RecordId, StrictModel


class ExportAuthorizationCreate(StrictModel):
    company_id: RecordId
    solicitation_id: RecordId | None = Field(default=None, description="one solicitation, or ...")
    technology_area: str | None = Field(default=None, description="... a whole technology area")
    authority: Authority
    reference: Annotated[str, Field(min_length=1, max_length=200)]
    scope: Annotated[str, Field(max_length=5000)] = ""
    valid_from: date
    valid_until: date | None = None
    notes: Annotated[str, Field(max_length=5000)] = ""

    @model_validator(mode="after")
    def _check(self) -> "ExportAuthorizationCreate":
        if (self.solicitation_id is None) == (self.technology_area is None):
            raise ValueError("give exactly one of solicitation_id or technology_area")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class ExportAuthorizationRead(ReadModel):
    id: int
    company_id: int
    solicitation_id: int | None
    technology_area: str | None
    authority: Authority
    reference: str
    scope: str
    valid_from: date
    valid_until: date | None
    notes: str
    active: bool
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
