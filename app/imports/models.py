"""Import runs and the likely duplicates they flag for review."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.organizations.models import enum_column


class ImportStatus(StrEnum):
    # Uploaded through the admin pages and waiting for the job worker.
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class FlagResolution(StrEnum):
    # Two different things after all: both records stay.
    KEPT_BOTH = "kept_both"
    # The same thing: the record the import created is archived; the older one stays.
    ARCHIVED_IMPORTED = "archived_imported"


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(300))
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.RUNNING
    )
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The first errors only; the full list is returned to the caller.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # The first row warnings (rows imported as the source gives them, but worth a look).
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # Attempts that stopped before the end (a worker killed, a crash) and how the run went on:
    # {"attempt", "rows", "reason", "resumed_at"}; the counts cover the whole file once.
    interruptions: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # Why a run failed as a whole (a file that is not a table, a crash), for the person who ran it.
    failure: Mapped[str | None] = mapped_column(String(1000))
    # An uploaded file waiting for (or being read by) its import job; removed when it is done.
    upload_path: Mapped[str | None] = mapped_column(String(500))
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    bytes_done: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class DuplicateFlag(Base):
    """Two records that look like the same thing under different natural keys."""

    __tablename__ = "duplicate_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(index=True)
    other_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(300))
    score: Mapped[float] = mapped_column()
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[FlagResolution | None] = mapped_column(
        enum_column(FlagResolution, "flag_resolution")
    )
