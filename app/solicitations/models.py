"""OTA solicitations loaded by intermediaries."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.areas.models import TechnologyArea
from app.db import Base, utcnow
from app.organizations.models import Organization, enum_column


class OtaType(StrEnum):
    PROTOTYPE = "prototype"
    PRODUCTION = "production"
    RESEARCH = "research"


class SolicitationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class ExportControl(StrEnum):
    NONE = "none"
    EAR = "ear"
    ITAR = "itar"
    CUI = "cui"


class ForeignParticipation(StrEnum):
    ALLOWED = "allowed"
    ALLOWED_WITH_AUTHORIZATION = "allowed_with_authorization"
    PROHIBITED = "prohibited"


solicitation_technology_areas = Table(
    "solicitation_technology_areas",
    Base.metadata,
    Column("solicitation_id", ForeignKey("solicitations.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_area_id", ForeignKey("technology_areas.id"), primary_key=True),
)


class Solicitation(Base):
    __tablename__ = "solicitations"
    __table_args__ = (UniqueConstraint("source", "notice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    notice_id: Mapped[str] = mapped_column(String(128))
    solicitation_number: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(500))
    agency: Mapped[str | None] = mapped_column(String(300))
    sub_tier: Mapped[str | None] = mapped_column(String(300))
    office: Mapped[str | None] = mapped_column(String(300))
    consortium: Mapped[str | None] = mapped_column(String(300))
    ota_type: Mapped[OtaType | None] = mapped_column(enum_column(OtaType, "ota_type"))
    notice_type: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    naics: Mapped[list[str]] = mapped_column(default=list)
    classification_code: Mapped[str | None] = mapped_column(String(16))
    set_aside: Mapped[str | None] = mapped_column(String(200))
    posted_date: Mapped[date | None]
    response_deadline: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[SolicitationStatus] = mapped_column(
        enum_column(SolicitationStatus, "solicitation_status"), index=True
    )
    export_control: Mapped[ExportControl] = mapped_column(
        enum_column(ExportControl, "export_control")
    )
    foreign_participation: Mapped[ForeignParticipation] = mapped_column(
        enum_column(ForeignParticipation, "foreign_participation")
    )
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    awardee: Mapped[str | None] = mapped_column(String(300))
    place_of_performance: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    # Fields a person set by hand (e.g. corrected technology areas); imports keep them.
    locked_fields: Mapped[list[str]] = mapped_column(default=list)
    # Technology areas proposed by the classifier, with scores, for review.
    suggested_areas: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)

    technology_areas: Mapped[list[TechnologyArea]] = relationship(
        secondary=solicitation_technology_areas, lazy="selectin", order_by=TechnologyArea.slug
    )
    created_by: Mapped[Organization] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def area_slugs(self) -> list[str]:
        """Slugs of the solicitation's technology areas."""
        return sorted(a.slug for a in self.technology_areas)
