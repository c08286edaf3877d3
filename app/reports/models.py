"""Report recipients and the outbox of nightly reports."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.organizations.models import Organization, enum_column

# Readers ignore long lists: at most this many matches per solicitation unless they ask.
DEFAULT_MAX_MATCHES = 10
MAX_MATCHES_LIMIT = 50


class WhenNothingNew(StrEnum):
    ONE_LINE = "one_line"  # a one-line "nothing new" mail
    NO_MAIL = "no_mail"  # no mail at all that night


class ReportStatus(StrEnum):
    PENDING = "pending"  # written, waiting to be sent (or to be tried again)
    SENDING = "sending"  # claimed by a sender, which has not said how it went
    SENT = "sent"  # the SMTP server took it
    FAILED = "failed"  # refused for good, or every attempt failed
    SKIPPED = "skipped"  # nothing new and the recipient wants no mail then
    CANCELLED = "cancelled"  # the recipient opted out before it was sent


class ReportRecipient(Base):
    """A person who gets an organization's nightly report, with what they want in it."""

    __tablename__ = "report_recipients"
    __table_args__ = (
        UniqueConstraint("organization_id", "email"),
        CheckConstraint(
            f"max_matches >= 1 AND max_matches <= {MAX_MATCHES_LIMIT}", name="max_matches_range"
        ),
        CheckConstraint("min_fit IS NULL OR (min_fit >= 0 AND min_fit <= 1)", name="min_fit_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    # The language of the report's fixed texts: "en" or "ja".
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # Slugs of the technology areas the recipient reads about; empty means all.
    technology_areas: Mapped[list[str]] = mapped_column(default=list)
    # Matches below this fit are left out; None follows the organization's minimum.
    min_fit: Mapped[float | None]
    max_matches: Mapped[int] = mapped_column(default=DEFAULT_MAX_MATCHES)
    when_nothing_new: Mapped[WhenNothingNew] = mapped_column(
        enum_column(WhenNothingNew, "when_nothing_new"), default=WhenNothingNew.ONE_LINE
    )
    # Set by the one-click link in a mail or by an admin; no report is sent while it is set.
    opted_out_at: Mapped[datetime | None]
    # "link" (the recipient's own click) or the admin who did it ("<org>:<user or key>").
    opted_out_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organization: Mapped[Organization] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ReportMessage(Base):
    """One recipient's report for one report date: written here first, then sent.

    (recipient_id, report_date) is the idempotency key: a rerun of the same night finds the
    row and writes nothing new. The covered window [window_start, window_end) starts where
    the recipient's previous report ended, so no item is skipped or repeated across nights."""

    __tablename__ = "report_messages"
    __table_args__ = (
        UniqueConstraint("recipient_id", "report_date"),
        Index("ix_report_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("report_recipients.id"), index=True)
    report_date: Mapped[date]
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    # The address and language it was written for (the recipient may change later).
    to_address: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    # The Message-ID header, without angle brackets: the same on every attempt.
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    # The whole message as sent (RFC 5322, parts and attachment encoded); empty when skipped.
    mime: Mapped[str] = mapped_column(Text, default="")
    # Counts of what the report holds, for listings: solicitations, matches, changes, ...
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, "report_status"), default=ReportStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The sender holding it ("host:pid:nonce") and until when its claim holds.
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    recipient: Mapped[ReportRecipient] = relationship(lazy="joined")
