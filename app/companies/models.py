"""Company profiles: US OTA performers and Japanese technology partners."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.areas.models import TechnologyArea
from app.db import Base, utcnow
from app.organizations.models import Organization, enum_column


class CompanyRole(StrEnum):
    US_PERFORMER = "us_performer"
    JP_PARTNER = "jp_partner"


company_technology_areas = Table(
    "company_technology_areas",
    Base.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_area_id", ForeignKey("technology_areas.id"), primary_key=True),
)


class Company(Base):
    __tablename__ = "companies"

    # Lists page through companies by name: without this each page sorts them all.
    __table_args__ = (Index("ix_companies_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[CompanyRole] = mapped_column(enum_column(CompanyRole, "company_role"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_ja: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(500))
    # The profile text, in English or Japanese; `narrative_ja` holds a Japanese version beside
    # an English one. Keywords may mix both languages.
    narrative: Mapped[str] = mapped_column(Text, default="")
    narrative_ja: Mapped[str] = mapped_column(Text, default="")
    # "en", "ja" or "en+ja", detected from the texts above whenever they change.
    profile_language: Mapped[str] = mapped_column(String(8), default="en", index=True)
    keywords: Mapped[list[str]] = mapped_column(default=list)
    naics: Mapped[list[str]] = mapped_column(default=list)
    uei: Mapped[str | None] = mapped_column(String(12), unique=True)
    cage: Mapped[str | None] = mapped_column(String(5), unique=True)
    corporate_number: Mapped[str | None] = mapped_column(String(13), unique=True)
    certifications: Mapped[list[str]] = mapped_column(default=list)
    consortia: Mapped[list[str]] = mapped_column(default=list)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # Imports remember where a record came from; external ids are unique per source.
    external_source: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    # Fields a person set by hand; an import never overwrites them.
    locked_fields: Mapped[list[str]] = mapped_column(default=list)
    # Technology areas proposed by the classifier when none were given, with scores.
    suggested_areas: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(index=True)
    # Latest vetting decision, kept in step by the vetting service for filtering.
    vetting_status: Mapped[str | None] = mapped_column(String(16), index=True)
    vetting_decided_at: Mapped[datetime | None]
    vetting_expires_at: Mapped[datetime | None]
    # "hold" while a screening hit is open, "blocked" once one is confirmed (app.screening).
    screening_status: Mapped[str | None] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(default=1)

    technology_areas: Mapped[list[TechnologyArea]] = relationship(
        secondary=company_technology_areas, lazy="selectin", order_by=TechnologyArea.slug
    )

    created_by: Mapped[Organization] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def area_slugs(self) -> list[str]:
        """Slugs of the company's technology areas."""
        return sorted(a.slug for a in self.technology_areas)

    def effective_vetting(self, now: datetime) -> str:
        """vetted/pending/rejected/suspended/expired/unvetted; US performers are not_required."""
        return effective_vetting(self.role, self.vetting_status, self.vetting_expires_at, now)


def effective_vetting(
    role: CompanyRole, status: str | None, expires_at: datetime | None, now: datetime
) -> str:
    """A partner's vetting as it stands at `now`: the latest decision, expired once past its
    expiry; US performers need none."""
    if role is CompanyRole.US_PERFORMER:
        return "not_required"
    if status is None:
        return "unvetted"
    if status == "vetted" and expires_at is not None and expires_at <= now:
        return "expired"
    return status
