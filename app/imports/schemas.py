"""Import summaries."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RowErrorRead(BaseModel):
    line: int
    field: str
    reason: str


class DuplicateFlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int | None = None
    entity_type: str
    entity_id: int
    other_id: int
    reason: str
    score: float
    created_at: datetime | None = None


class ImportSummary(BaseModel):
    """What an import did: counts, per-row errors and likely duplicates to review."""

    run_id: int | None
    kind: str
    source: str | None
    filename: str | None
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowErrorRead] = []
    duplicates: list[DuplicateFlagRead] = []
