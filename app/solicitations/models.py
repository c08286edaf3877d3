"""OTA solicitations loaded by intermediaries."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.orm.attributes import set_committed_value

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


# SAM.gov states deadlines in US Eastern time unless it says otherwise.
EASTERN = ZoneInfo("America/New_York")
# A deadline before the posted date: real for amended notices, so kept and flagged for review.
DEADLINE_BEFORE_POSTED = "deadline_before_posted"


def closing_instant(day: date) -> datetime:
    """The instant a date-only deadline closes: the end of that day (23:59:59) US Eastern,
    with the Eastern offset of that day (-05:00 or -04:00)."""
    eastern = datetime.combine(day, time(23, 59, 59), tzinfo=EASTERN)
    return eastern.astimezone(_fixed(eastern.utcoffset() or timedelta()))


def deadline_day(deadline: date | datetime) -> date:
    """The calendar date of a deadline where it was stated (in its own offset)."""
    return deadline.date() if isinstance(deadline, datetime) else deadline


def deadline_before_posted(posted: date | None, deadline: date | datetime | None) -> bool:
    """Whether the deadline's own calendar date is before the posted date."""
    return posted is not None and deadline is not None and deadline_day(deadline) < posted


def _fixed(offset: timedelta) -> timezone:
    return UTC if not offset else timezone(offset)


def stated_deadline(value: date | datetime | None) -> tuple[datetime | None, int | None, bool]:
    """A deadline as stored: (the instant in the offset it was stated in, that offset in
    seconds east of UTC, whether only a date was given). A date closes at `closing_instant`."""
    if value is None:
        return None, None, False
    instant = value if isinstance(value, datetime) else closing_instant(value)
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime given; a deadline must carry its offset")
    offset = instant.utcoffset() or timedelta()
    return (
        instant.astimezone(_fixed(offset)),
        int(offset.total_seconds()),
        not isinstance(value, datetime),
    )


def stated_flags(posted: date | None, deadline: date | datetime | None) -> list[str]:
    """The flags a new record with these dates carries."""
    return [DEADLINE_BEFORE_POSTED] if deadline_before_posted(posted, deadline) else []


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
    # The instant the response period closes (stored in UTC). Set it to an aware datetime, or to
    # a date for a date-only deadline (it then closes at `closing_instant`); the offset it was
    # stated in is kept beside it, and the attribute reads back in that offset.
    response_deadline: Mapped[datetime | None] = mapped_column(index=True)
    # Seconds east of UTC of the deadline as stated (+09:00 is 32400); None reads as UTC.
    response_deadline_offset: Mapped[int | None]
    # The source gave a date without a time.
    response_deadline_date_only: Mapped[bool] = mapped_column(default=False)
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
    # Oddities worth a reader's attention that do not make the record wrong, such as
    # DEADLINE_BEFORE_POSTED; kept up to date as the dates change.
    flags: Mapped[list[str]] = mapped_column(default=list)
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

    @validates("response_deadline")
    def _keep_deadline_offset(self, _key: str, value: date | datetime | None) -> datetime | None:
        """Record how the deadline was stated (offset, date only) and keep the flags current."""
        instant, self.response_deadline_offset, self.response_deadline_date_only = stated_deadline(
            value
        )
        self._set_flags(self.posted_date, instant)
        return instant

    @validates("posted_date")
    def _check_posted_date(self, _key: str, value: date | None) -> date | None:
        """Keep the flags current when the posted date changes."""
        self._set_flags(value, self.response_deadline)
        return value

    def _set_flags(self, posted: date | None, deadline: date | datetime | None) -> None:
        flags = [f for f in (self.flags or []) if f != DEADLINE_BEFORE_POSTED]
        if deadline_before_posted(posted, deadline):
            flags.append(DEADLINE_BEFORE_POSTED)
        if flags != (self.flags or []):
            self.flags = flags


@event.listens_for(Solicitation, "load")
def _deadline_in_stated_offset(target: Solicitation, _context: Any) -> None:
    """Read the stored UTC deadline back in the offset it was stated in."""
    deadline = target.__dict__.get("response_deadline")
    offset = target.__dict__.get("response_deadline_offset")
    if deadline is not None and offset:
        local = deadline.astimezone(_fixed(timedelta(seconds=offset)))
        set_committed_value(target, "response_deadline", local)


@event.listens_for(Solicitation, "refresh")
def _deadline_in_stated_offset_again(target: Solicitation, context: Any, _attrs: Any) -> None:
    """The same after a refresh (expired attributes, populate_existing)."""
    _deadline_in_stated_offset(target, context)
