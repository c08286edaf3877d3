"""Reading the outbox: which reports were written, to whom, for which night, and how sending
them went. Organization-private; nothing here writes."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.reports.api_schemas import ReportMessageRead
from app.reports.models import ReportMessage, ReportStatus


@dataclass(frozen=True)
class Filters:
    """What a listing of the outbox is narrowed to; report dates are inclusive bounds."""

    status: ReportStatus | None = None
    recipient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def to_read(message: ReportMessage) -> ReportMessageRead:
    """The API view of an outbox row (never the raw message)."""
    return ReportMessageRead.model_validate(message)


def get(session: Session, *, organization_id: int, message_id: int) -> ReportMessage:
    """One of the organization's reports; another organization's is a 404 like a missing one."""
    message = session.get(ReportMessage, message_id)
    if message is None or message.organization_id != organization_id:
        raise NotFound(f"no report with id {message_id} in this organization")
    return message


def get_all(
    session: Session,
    *,
    organization_id: int,
    filters: Filters = Filters(),
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ReportMessage], int]:
    """The organization's reports, latest report date first, with the total."""
    query = select(ReportMessage).where(ReportMessage.organization_id == organization_id)
    if filters.status is not None:
        query = query.where(ReportMessage.status == filters.status)
    if filters.recipient_id is not None:
        query = query.where(ReportMessage.recipient_id == filters.recipient_id)
    if filters.date_from is not None:
        query = query.where(ReportMessage.report_date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(ReportMessage.report_date <= filters.date_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ReportMessage.report_date.desc(), ReportMessage.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def status_counts(session: Session, *, organization_id: int) -> dict[ReportStatus, int]:
    """How many of the organization's reports are in each status (every status, zeros too)."""
    rows = session.execute(
        select(ReportMessage.status, func.count())
        .where(ReportMessage.organization_id == organization_id)
        .group_by(ReportMessage.status)
    )
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in ReportStatus}
