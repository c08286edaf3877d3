"""Weekly snapshots of coverage per technology area, so gaps can be followed over time."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class InsightSnapshot(Base):
    """One organization's coverage figures for one technology area in one ISO week."""

    __tablename__ = "insight_snapshots"
    __table_args__ = (UniqueConstraint("organization_id", "week_start", "area_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The Monday of the ISO week the figures describe.
    week_start: Mapped[date] = mapped_column(index=True)
    area_slug: Mapped[str] = mapped_column(String(64))
    open_solicitations: Mapped[int] = mapped_column(default=0)
    vetted_partners: Mapped[int] = mapped_column(default=0)
    eligible_partners: Mapped[int] = mapped_column(default=0)
    median_best_score: Mapped[float | None]
    # Shares of the open solicitations; None when the area has none open.
    uncovered_share: Mapped[float | None]
    authorization_locked_share: Mapped[float | None]
    # The minimum score the figures were computed with, and anything else worth keeping.
    min_score: Mapped[float | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
