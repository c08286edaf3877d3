"""A distribution (one send), its recipients (one per company) and each recipient's history."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.organizations.models import enum_column


class Channel(StrEnum):
    EMAIL = "email"
    REPORT = "report"
    MANUAL = "manual"


class RecipientStatus(StrEnum):
    SENT = "sent"
    VIEWED = "viewed"
    INTERESTED = "interested"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"


class Distribution(Base):
    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "distribution_channel"))
    message: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    recipients: Mapped[list["DistributionRecipient"]] = relationship(
        back_populates="distribution", lazy="selectin", order_by="DistributionRecipient.id"
    )


class DistributionRecipient(Base):
    __tablename__ = "distribution_recipients"
    __table_args__ = (
        UniqueConstraint("distribution_id", "company_id"),
        Index("ix_distribution_recipients_org_status", "organization_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    # Copied from the distribution so lists filter without a join.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    status: Mapped[RecipientStatus] = mapped_column(
        enum_column(RecipientStatus, "recipient_status"), default=RecipientStatus.SENT
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What was sent: the solicitation's fields as the recipient got them. For a foreign partner
    # and an ITAR, EAR or CUI solicitation, the public fields only; `withheld_reason` says why.
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    withheld_reason: Mapped[str | None] = mapped_column(Text)
    # The response link's token, hashed (sha256); the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime]
    # Set when the partner answered through the link: a link answers once.
    token_used_at: Mapped[datetime | None]
    viewed_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    distribution: Mapped[Distribution] = relationship(back_populates="recipients", lazy="joined")
    history: Mapped[list["RecipientStatusChange"]] = relationship(
        lazy="selectin", order_by="RecipientStatusChange.id"
    )

    __mapper_args__ = {"version_id_col": version}


class RecipientStatusChange(Base):
    """Append-only history of a recipient's status."""

    __tablename__ = "recipient_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("distribution_recipients.id"), index=True)
    from_status: Mapped[RecipientStatus | None] = mapped_column(
        enum_column(RecipientStatus, "recipient_status")
    )
    to_status: Mapped[RecipientStatus] = mapped_column(
        enum_column(RecipientStatus, "recipient_status")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    # An analyst's "<org>:<key>", "partner-link", or "system" for no_response.
    actor: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
