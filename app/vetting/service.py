"""Recording vetting decisions and keeping the company's current status in step."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.companies import service as companies
from app.companies.models import Company, CompanyRole
from app.db import utcnow
from app.errors import InvalidField
from app.organizations.service import Principal
from app.vetting.models import VettingDecision
from app.vetting.schemas import VettingDecisionCreate, VettingDecisionRead


def to_read(decision: VettingDecision) -> VettingDecisionRead:
    """The API view of a decision."""
    return VettingDecisionRead(
        id=decision.id,
        company_id=decision.company_id,
        status=decision.status,
        decided_by=decision.decided_by.slug,
        decided_at=decision.decided_at,
        expires_at=decision.expires_at,
        evidence=decision.evidence,
        actor=decision.actor,
    )


def get_history(session: Session, *, company_id: int) -> list[VettingDecision]:
    """Every decision on a company, newest first."""
    companies.get(session, company_id=company_id)
    return list(
        session.scalars(
            select(VettingDecision)
            .where(VettingDecision.company_id == company_id)
            .order_by(VettingDecision.decided_at.desc(), VettingDecision.id.desc())
        )
    )


def decide(
    session: Session, *, principal: Principal, company_id: int, data: VettingDecisionCreate
) -> VettingDecision:
    """Append a decision (the partner's owner or the platform organization only); the latest by
    decided_at becomes the company's status."""
    # Locked so that two decisions at once are applied one after the other (PostgreSQL).
    company = companies.get(session, company_id=company_id, for_update=True)
    principal.require_voucher(company.created_by_id, "partner")
    if company.role is not CompanyRole.JP_PARTNER:
        raise InvalidField(
            "company_id", "vetting applies to Japanese partners only", location="path"
        )
    now = utcnow()
    decided_at = data.decided_at or now
    if decided_at > now:
        raise InvalidField("decided_at", "may not be in the future")
    if data.expires_at is not None and data.expires_at <= decided_at:
        raise InvalidField("expires_at", "must be after decided_at")
    decision = VettingDecision(
        company_id=company.id,
        status=data.status,
        decided_by_id=principal.organization_id,
        decided_at=decided_at,
        expires_at=data.expires_at,
        evidence=data.evidence,
        actor=principal.actor,
    )
    session.add(decision)
    session.flush()
    latest = session.scalars(
        select(VettingDecision)
        .where(VettingDecision.company_id == company.id)
        .order_by(VettingDecision.decided_at.desc(), VettingDecision.id.desc())
        .limit(1)
    ).one()
    # The denormalised status is not a profile edit: leave the version alone.
    session.execute(
        update(Company)
        .where(Company.id == company.id)
        .values(
            vetting_status=latest.status.value,
            vetting_decided_at=latest.decided_at,
            vetting_expires_at=latest.expires_at,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(company, ["vetting_status", "vetting_decided_at", "vetting_expires_at"])
    audit.record(
        session,
        principal=principal,
        action="vetting.decide",
        entity_type="company",
        entity_id=company.id,
        changes={
            "status": data.status.value,
            "decided_at": decided_at,
            "expires_at": data.expires_at,
            "decision_id": decision.id,
        },
    )
    return decision
