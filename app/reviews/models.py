"""One review per organization, solicitation and company; its history is in the audit log."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.organizations.models import enum_column


class HideReason(StrEnum):
    """Why an analyst passed on a match."""

    NOT_A_FIT = "not_a_fit"
    ALREADY_ENGAGED = "already_engaged"
    NO_CAPACITY = "no_capacity"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    OTHER = "other"


class MatchReview(Base):
    __tablename__ = "match_reviews"
    __table_args__ = (UniqueConstraint("organization_id", "solicitation_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    pinned: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[HideReason | None] = mapped_column(enum_column(HideReason, "hide_reason"))
    hidden_detail: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
