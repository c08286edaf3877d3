"""Intermediary organizations and their API keys."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class Side(StrEnum):
    US = "us"
    JP = "jp"


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"


ROLE_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A portable enum column stored as its string values (a CHECK constraint, no PG type)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        length=32,
    )


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("min_fit IS NULL OR (min_fit >= 0 AND min_fit <= 1)", name="min_fit_range"),
        CheckConstraint(
            "no_response_days >= 1 AND no_response_days <= 365", name="no_response_days_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    side: Mapped[Side] = mapped_column(enum_column(Side, "side"))
    # A platform organization's admin keys may change any organization's records.
    is_platform: Mapped[bool] = mapped_column(default=False)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # Matches whose estimated fit (matching.calibration) is below this are left out of the
    # organization's lists; None follows the platform default.
    min_fit: Mapped[float | None]
    # A distribution recipient who has not answered this many days after it was sent is
    # marked no_response.
    no_response_days: Mapped[int] = mapped_column(default=14)
    # The nightly report goes out at this local time ("HH:MM") in this IANA zone.
    report_send_time: Mapped[str] = mapped_column(String(5), default="07:00")
    report_time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Bumped by every change to the organization: its ETag, checked against If-Match.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    api_keys: Mapped[list["ApiKey"]] = relationship(back_populates="organization", lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The visible part of the key, shown in listings and audit events.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship(back_populates="api_keys", lazy="joined")
