"""What the dashboard shows: a handful of small queries, each on an index and limited."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.companies.models import Company, CompanyRole
from app.distributions.models import Distribution, DistributionRecipient, RecipientStatus
from app.follows.models import SolicitationChange
from app.organizations.service import Principal
from app.solicitations.models import Solicitation, SolicitationStatus

CLOSING_DAYS = 14
VETTING_DAYS = 30
# Without a previous visit, "new" means the last week.
FIRST_VISIT_DAYS = 7
WAITING = (RecipientStatus.SENT, RecipientStatus.VIEWED)


T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """The first rows of a widget and how many there are in all."""

    rows: list[T]
    total: int


@dataclass(frozen=True)
class Waiting:
    """A distribution recipient that has not answered yet."""

    recipient_id: int
    distribution_id: int
    solicitation_id: int
    solicitation_title: str
    company_id: int
    company_name: str
    company_name_ja: str | None
    status: RecipientStatus
    sent_at: datetime


def closing_soon(session: Session, *, now: datetime, limit: int) -> Listed[Solicitation]:
    """Open solicitations whose deadline falls within CLOSING_DAYS, soonest first."""
    query = select(Solicitation).where(
        Solicitation.status == SolicitationStatus.OPEN,
        Solicitation.archived_at.is_(None),
        Solicitation.response_deadline >= now,
        Solicitation.response_deadline <= now + timedelta(days=CLOSING_DAYS),
    )
    rows = session.scalars(
        query.order_by(Solicitation.response_deadline, Solicitation.id).limit(limit)
    )
    return Listed(list(rows), _count(session, query))


def new_since(
    session: Session, *, since: datetime | None, now: datetime, limit: int
) -> tuple[Listed[Solicitation], datetime]:
    """Open solicitations created or changed since `since` (the last week on a first visit),
    newest first; and the moment counted from."""
    start = since or now - timedelta(days=FIRST_VISIT_DAYS)
    changed = select(SolicitationChange.solicitation_id).where(
        SolicitationChange.occurred_at > start
    )
    query = select(Solicitation).where(
        Solicitation.status == SolicitationStatus.OPEN,
        Solicitation.archived_at.is_(None),
        or_(Solicitation.created_at > start, Solicitation.id.in_(changed)),
    )
    rows = session.scalars(
        query.order_by(Solicitation.updated_at.desc(), Solicitation.id.desc()).limit(limit)
    )
    return Listed(list(rows), _count(session, query)), start


def vetting_expiring(session: Session, *, now: datetime, limit: int) -> Listed[Company]:
    """Vetted Japanese partners whose vetting ends within VETTING_DAYS, soonest first."""
    query = select(Company).where(
        Company.role == CompanyRole.JP_PARTNER,
        Company.archived_at.is_(None),
        Company.vetting_status == "vetted",
        Company.vetting_expires_at >= now,
        Company.vetting_expires_at <= now + timedelta(days=VETTING_DAYS),
    )
    rows = session.scalars(query.order_by(Company.vetting_expires_at, Company.id).limit(limit))
    return Listed(list(rows), _count(session, query))


def waiting_for_answer(session: Session, *, principal: Principal, limit: int) -> Listed[Waiting]:
    """The organization's recipients still at sent or viewed, the longest waiting first."""
    where = (
        DistributionRecipient.organization_id == principal.organization_id,
        DistributionRecipient.status.in_(WAITING),
    )
    rows = session.execute(
        select(
            DistributionRecipient.id,
            DistributionRecipient.distribution_id,
            DistributionRecipient.solicitation_id,
            Solicitation.title,
            DistributionRecipient.company_id,
            Company.name,
            Company.name_ja,
            DistributionRecipient.status,
            Distribution.created_at,
        )
        .join(Distribution, Distribution.id == DistributionRecipient.distribution_id)
        .join(Solicitation, Solicitation.id == DistributionRecipient.solicitation_id)
        .join(Company, Company.id == DistributionRecipient.company_id)
        .where(*where)
        .order_by(Distribution.created_at, DistributionRecipient.id)
        .limit(limit)
    )
    total = session.scalar(select(func.count(DistributionRecipient.id)).where(*where)) or 0
    return Listed([Waiting(*row) for row in rows], total)


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0
