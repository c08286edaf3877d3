"""Screening lists as loaded (versioned snapshots), their entries, and the hits on companies."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.organizations.models import enum_column


class ScreeningList(StrEnum):
    CSL = "csl"  # the US Consolidated Screening List (trade.gov), as published
    METI_EUL = "meti_eul"  # METI's End User List, in Kakehashi's documented CSV layout


class HitStatus(StrEnum):
    OPEN = "open"  # a potential hit nobody has reviewed: the company is held
    CLEARED = "cleared"  # a false positive, with a written reason
    CONFIRMED = "confirmed"  # a true hit: the company is blocked, its vetting suspended


class ScreeningStatus(StrEnum):
    """A company's screening state, kept on the company so every gate reads it at once."""

    HOLD = "hold"  # at least one open hit
    BLOCKED = "blocked"  # at least one confirmed hit


class ScreeningSnapshot(Base):
    """One load of one list. The newest snapshot of a list is the one companies are screened
    against; older ones stay for the record."""

    __tablename__ = "screening_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[ScreeningList] = mapped_column(
        enum_column(ScreeningList, "screening_list"), index=True
    )
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(default=0)
    # Entries (by key and content) new in this snapshot, and gone since the previous one.
    added_count: Mapped[int] = mapped_column(default=0)
    removed_count: Mapped[int] = mapped_column(default=0)
    changed_count: Mapped[int] = mapped_column(default=0)
    loaded_by: Mapped[str] = mapped_column(String(128))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScreeningEntry(Base):
    """A listed party in one snapshot: its names (the first is the primary), addresses and the
    ISO countries they end in, and what the list says about it."""

    __tablename__ = "screening_entries"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "entry_key"),
        Index("ix_screening_entries_list_name_entry_key", "list_name", "entry_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("screening_snapshots.id", ondelete="CASCADE"), index=True
    )
    list_name: Mapped[ScreeningList] = mapped_column(enum_column(ScreeningList, "screening_list"))
    # The list's own identifier (the CSL's `_id`; for METI a key derived from name and country).
    entry_key: Mapped[str] = mapped_column(String(200))
    # A fingerprint of the entry's content: a changed entry raises a cleared hit again.
    entry_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(300), default="")  # e.g. "Entity List (EL) - ..."
    entry_type: Mapped[str | None] = mapped_column(String(64))
    names: Mapped[list[str]] = mapped_column(default=list)
    addresses: Mapped[list[str]] = mapped_column(default=list)
    countries: Mapped[list[str]] = mapped_column(default=list)
    programs: Mapped[list[str]] = mapped_column(default=list)
    remarks: Mapped[str] = mapped_column(Text, default="")
    source_list_url: Mapped[str | None] = mapped_column(String(500))


class ScreeningHit(Base):
    """A potential match of a company on a list entry, and what a reviewer decided about it.

    Keyed by the entry's content (entry_hash): a decision holds across snapshots until the
    list changes the entry, which raises it again."""

    __tablename__ = "screening_hits"
    __table_args__ = (UniqueConstraint("company_id", "list_name", "entry_key", "entry_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    list_name: Mapped[ScreeningList] = mapped_column(enum_column(ScreeningList, "screening_list"))
    entry_key: Mapped[str] = mapped_column(String(200))
    entry_hash: Mapped[str] = mapped_column(String(64))
    # The entry as it was when the hit was raised (the snapshot may be superseded since).
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("screening_entries.id", ondelete="SET NULL")
    )
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("screening_snapshots.id"))
    entry_name: Mapped[str] = mapped_column(String(500))
    company_name: Mapped[str] = mapped_column(String(500))
    score: Mapped[float]
    # What matched: e.g. ["name", "alt_name", "country"].
    matched_fields: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[HitStatus] = mapped_column(
        enum_column(HitStatus, "hit_status"), default=HitStatus.OPEN, index=True
    )
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    version: Mapped[int] = mapped_column(default=1)

    entry: Mapped[ScreeningEntry | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
