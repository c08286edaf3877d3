"""API views of screening snapshots and hits, and the bodies of hit decisions."""

from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.common.schemas import ReadModel, StrictModel
from app.screening.models import HitStatus, ScreeningList


class SnapshotRead(ReadModel):
    id: int
    list_name: ScreeningList
    filename: str
    sha256: str
    entry_count: int
    added_count: int = Field(description="entries new since the list's previous snapshot")
    removed_count: int = Field(description="entries gone since the list's previous snapshot")
    changed_count: int = Field(description="entries whose content changed")
    loaded_by: str
    loaded_at: datetime


class LoadRead(SnapshotRead):
    hits_raised: int = Field(description="potential hits this load raised on companies")


class EntryRead(ReadModel):
    entry_key: str
    source: str
    entry_type: str | None
    names: list[str]
    addresses: list[str]
    countries: list[str]
    programs: list[str]
    remarks: str
    source_list_url: str | None


class HitRead(ReadModel):
    id: int
    company_id: int
    company_name: str = Field(description="the company's name that matched")
    list_name: ScreeningList
    entry_key: str
    entry_name: str = Field(description="the listed name that matched")
    entry: EntryRead | None = Field(description="the entry as it was when the hit was raised")
    snapshot_id: int
    score: float
    matched_fields: list[str]
    status: HitStatus
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    version: int


class HitClear(StrictModel):
    reason: Annotated[
        str,
        Field(min_length=1, max_length=5000, description="why this is not the listed party"),
    ]


class HitConfirm(StrictModel):
    reason: Annotated[str, Field(max_length=5000)] | None = None
