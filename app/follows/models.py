"""Follows (per organization) and change events (per solicitation, shared by its followers)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.organizations.models import enum_column


class ChangeKind(StrEnum):
    """What happened to a solicitation."""

    AMENDED = "amended"  # its text, areas, marking or other fields changed
    DEADLINE_MOVED = "deadline_moved"
    CLOSED = "closed"  # left `open` (closed, awarded or cancelled) or was archived
    REOPENED = "reopened"


class SolicitationFollow(Base):
    __tablename__ = "solicitation_follows"
    __table_args__ = (UniqueConstraint("organization_id", "solicitation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    followed_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SolicitationChange(Base):
    """One change to a solicitation, recorded whoever made it (an import, an edit); a follower
    sees the changes made while it followed."""

    __tablename__ = "solicitation_changes"
    __table_args__ = (Index("ix_solicitation_changes_at", "solicitation_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"))
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind, "change_kind"))
    # {field: {"before": .., "after": ..}}, as in audit events.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # "import:<run id>", or the actor of an edit.
    source: Mapped[str] = mapped_column(String(100), default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
