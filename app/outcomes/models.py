"""Outcomes are append-only: the newest one of a pair is its outcome, the rest its history."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.organizations.models import enum_column


class OutcomeKind(StrEnum):
    INTERESTED = "interested"
    DECLINED = "declined"
    NOT_A_FIT = "not_a_fit"
    TEAMED = "teamed"
    AWARDED = "awarded"


POSITIVE_OUTCOMES = frozenset({OutcomeKind.INTERESTED, OutcomeKind.TEAMED, OutcomeKind.AWARDED})


class MatchOutcome(Base):
    __tablename__ = "match_outcomes"
    __table_args__ = (
        Index("ix_match_outcomes_pair", "organization_id", "solicitation_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    outcome: Mapped[OutcomeKind] = mapped_column(enum_column(OutcomeKind, "outcome_kind"))
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
