"""Import summaries."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from app.common.schemas import StrictModel
from app.imports.models import FlagResolution, ImportStatus


class RowErrorRead(BaseModel):
    line: int
    field: str
    reason: str


class RowWarningRead(BaseModel):
    """A row imported as its source gives it, with something worth a look."""

    line: int
    field: str
    reason: str


class InterruptionRead(BaseModel):
    """An attempt of a run that stopped before the end, and the attempt that went on."""

    attempt: int
    rows: int = Field(description="rows done (and saved) when it stopped")
    reason: str
    resumed_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def note(self) -> str:
        """One line for people: what stopped and what went on."""
        return (
            f"attempt {self.attempt} stopped after {self.rows:,} rows: {self.reason}; "
            f"resumed by attempt {self.attempt + 1}"
        )


class DuplicateFlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int | None = None
    entity_type: str
    entity_id: int
    other_id: int
    reason: str
    score: float
    created_at: datetime | None = None
    resolution: FlagResolution | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


class FlagResolve(StrictModel):
    """How a likely duplicate is settled."""

    resolution: FlagResolution = Field(
        description="kept_both: two different things, both stay; archived_imported: the same "
        "thing, the record the import created is archived"
    )


class ImportRunRead(BaseModel):
    """One import: who ran what, its status and progress, counts and the first row errors."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    source: str | None
    filename: str | None
    dry_run: bool
    status: ImportStatus
    actor: str
    counts: dict[str, int]
    failure: str | None
    interruptions: list[InterruptionRead] = []
    bytes_total: int | None
    bytes_done: int | None
    started_at: datetime
    finished_at: datetime | None


class ImportRunDetail(ImportRunRead):
    errors: list[RowErrorRead]
    warnings: list[RowWarningRead] = []


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
    # Rows imported (counted above) with something worth a look, e.g. a deadline before the
    # posted date; separate from errors.
    warnings: list[RowWarningRead] = []
    duplicates: list[DuplicateFlagRead] = []
