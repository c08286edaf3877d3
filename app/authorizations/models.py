"""Export authorizations (licences, waivers) that let a foreign partner see controlled work."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.areas.models import TechnologyArea
from app.db import Base, utcnow
from app.organizations.models import Organization, enum_column


class Authority(StrEnum):
    METI = "meti"
    DDTC = "ddtc"
    BIS = "bis"
    OTHER = "other"


class ExportAuthorization(Base):
    __tablename__ = "export_authorizations"
    __table_args__ = (
        CheckConstraint(
            "(solicitation_id IS NULL) <> (technology_area_id IS NULL)", name="one_scope"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    solicitation_id: Mapped[int | None] = mapped_column(ForeignKey("solicitations.id"), index=True)
    technology_area_id: Mapped[int | None] = mapped_column(ForeignKey("technology_areas.id"))
    authority: Mapped[Authority] = mapped_column(enum_column(Authority, "authority"))
    reference: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    technology_area: Mapped[TechnologyArea | None] = relationship(lazy="joined")
    created_by: Mapped[Organization] = relationship(lazy="joined")

    def is_valid_on(self, day: date) -> bool:
        """Whether the authorization covers `day` and has not been revoked."""
        if self.revoked_at is not None or day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until
