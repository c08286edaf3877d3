"""Outcomes of matches, per organization: recorded only for pairs the organization matched
(distributed, reviewed, or ranked at or above its minimum fit); read back as history, and as
labels for the learner (`labels`)."""

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.companies import service as companies
from app.companies.models import Company
from app.db import utcnow
from app.distributions.models import DistributionRecipient
from app.errors import InvalidField, NotFound
from app.matches import service as matches
from app.matches import thresholds
from app.matches.index import RankerState
from app.organizations.service import Principal
from app.outcomes.models import MatchOutcome, OutcomeKind
from app.outcomes.schemas import OutcomeCreate
from app.reviews.models import MatchReview
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation


def matched_because(
    session: Session,
    *,
    ranker: RankerState | None,
    organization_id: int,
    solicitation: Solicitation,
    company: Company,
) -> str | None:
    """Why the pair counts as matched for the organization (`distributed`, `reviewed`,
    `ranked`), or None. The ranking is asked last: it is the costly test, and without a
    ranker (loading demo history) only distributions and reviews count."""
    pair = (
        DistributionRecipient.organization_id == organization_id,
        DistributionRecipient.solicitation_id == solicitation.id,
        DistributionRecipient.company_id == company.id,
    )
    if session.scalar(select(exists().where(*pair))):
        return "distributed"
    reviewed = exists().where(
        MatchReview.organization_id == organization_id,
        MatchReview.solicitation_id == solicitation.id,
        MatchReview.company_id == company.id,
    )
    if session.scalar(select(reviewed)):
        return "reviewed"
    if ranker is None:
        return None
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=None)
    score = matches.pair_score(session, ranker=ranker, solicitation=solicitation, company=company)
    return "ranked" if score is not None and score >= floor.min_score else None


def record(
    session: Session,
    *,
    principal: Principal,
    ranker: RankerState | None,
    solicitation_id: int,
    company_id: int,
    data: OutcomeCreate,
) -> MatchOutcome:
    """Append an outcome to a pair the organization matched; a 422 naming the company for a
    pair it never matched. Audited."""
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    company = companies.get(session, company_id=company_id)
    why = matched_because(
        session,
        ranker=ranker,
        organization_id=principal.organization_id,
        solicitation=solicitation,
        company=company,
    )
    if why is None:
        raise InvalidField(
            "company_id",
            f"company {company_id} was never matched with solicitation {solicitation_id} by "
            "your organization (not distributed to it, not reviewed, and its fit is below "
            "your minimum): review the match first",
            location="path",
        )
    outcome = MatchOutcome(
        organization_id=principal.organization_id,
        solicitation_id=solicitation_id,
        company_id=company_id,
        outcome=data.outcome,
        reason=data.reason,
        recorded_by=principal.actor,
        recorded_at=utcnow(),
    )
    session.add(outcome)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="outcome.create",
        entity_type="match_outcome",
        entity_id=outcome.id,
        changes={
            "outcome": {"before": None, "after": data.outcome.value},
            "reason": {"before": None, "after": data.reason},
            "pair": {"solicitation_id": solicitation_id, "company_id": company_id},
            "matched": why,
        },
    )
    return outcome


def history(
    session: Session, *, organization_id: int, solicitation_id: int, company_id: int
) -> list[MatchOutcome]:
    """The organization's outcomes of a live pair, newest first; NotFound when it has none."""
    solicitations.get(session, solicitation_id=solicitation_id)
    companies.get(session, company_id=company_id)
    rows = list(
        session.scalars(
            select(MatchOutcome)
            .where(
                MatchOutcome.organization_id == organization_id,
                MatchOutcome.solicitation_id == solicitation_id,
                MatchOutcome.company_id == company_id,
            )
            .order_by(MatchOutcome.recorded_at.desc(), MatchOutcome.id.desc())
        )
    )
    if not rows:
        raise NotFound(
            f"no outcome of company {company_id} for solicitation {solicitation_id} recorded "
            "by your organization"
        )
    return rows


def get_all(
    session: Session,
    *,
    organization_id: int,
    outcome: OutcomeKind | None = None,
    solicitation_id: int | None = None,
    company_id: int | None = None,
    recorded_from: datetime | None = None,
    recorded_until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MatchOutcome], int]:
    """The organization's outcomes (every record, history included), newest first."""
    if recorded_from and recorded_until and recorded_until < recorded_from:
        raise InvalidField("recorded_until", "is before recorded_from", location="query")
    query = select(MatchOutcome).where(MatchOutcome.organization_id == organization_id)
    if outcome is not None:
        query = query.where(MatchOutcome.outcome == outcome)
    if solicitation_id is not None:
        query = query.where(MatchOutcome.solicitation_id == solicitation_id)
    if company_id is not None:
        query = query.where(MatchOutcome.company_id == company_id)
    if recorded_from is not None:
        query = query.where(MatchOutcome.recorded_at >= recorded_from)
    if recorded_until is not None:
        query = query.where(MatchOutcome.recorded_at <= recorded_until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(MatchOutcome.recorded_at.desc(), MatchOutcome.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
