"""Vetting decisions on Japanese partners: an append-only history."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.organizations.models import Organization, enum_column


class VettingStatus(StrEnum):
    PENDING = "pending"
    VETTED = "vetted"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class VettingDecision(Base):
    __tablename__ = "vetting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    status: Mapped[VettingStatus] = mapped_column(enum_column(VettingStatus, "vetting_status"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    evidence: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    decided_by: Mapped[Organization] = relationship(lazy="joined")
