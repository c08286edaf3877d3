"""Recording, listing and revoking export authorizations."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from app.areas import service as areas_service
from app.areas.models import TechnologyArea
from app.audit import service as audit
from app.authorizations.models import ExportAuthorization
from app.authorizations.schemas import ExportAuthorizationCreate, ExportAuthorizationRead
from app.companies import service as companies
from app.companies.models import Company
from app.db import utcnow
from app.errors import InvalidField, NotFound
from app.organizations.models import Organization
from app.organizations.service import Principal
from app.solicitations import service as solicitations


def to_read(auth: ExportAuthorization) -> ExportAuthorizationRead:
    """The API view of an authorization."""
    return ExportAuthorizationRead(
        id=auth.id,
        company_id=auth.company_id,
        solicitation_id=auth.solicitation_id,
        technology_area=auth.technology_area.slug if auth.technology_area else None,
        authority=auth.authority,
        reference=auth.reference,
        scope=auth.scope,
        valid_from=auth.valid_from,
        valid_until=auth.valid_until,
        notes=auth.notes,
        active=auth.is_valid_on(utcnow().date()),
        created_by=auth.created_by.slug,
        created_at=auth.created_at,
        revoked_at=auth.revoked_at,
    )


def get_all(
    session: Session,
    *,
    company_id: int | None = None,
    solicitation_id: int | None = None,
    technology_area: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ExportAuthorization], int]:
    """Authorizations matching the filters, newest first."""
    query = select(ExportAuthorization)
    if company_id is not None:
        query = query.where(ExportAuthorization.company_id == company_id)
    if solicitation_id is not None:
        query = query.where(ExportAuthorization.solicitation_id == solicitation_id)
    if technology_area:
        query = query.join(TechnologyArea).where(TechnologyArea.slug == technology_area)
    if active is not None:
        today = utcnow().date()
        live = (
            ExportAuthorization.revoked_at.is_(None)
            & (ExportAuthorization.valid_from <= today)
            & or_(
                ExportAuthorization.valid_until.is_(None), ExportAuthorization.valid_until >= today
            )
        )
        query = query.where(live if active else ~live)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ExportAuthorization.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def for_companies(session: Session, *, company_ids: list[int] | None) -> list[ExportAuthorization]:
    """Unrevoked authorizations held by these companies (all companies with None) that the
    eligibility checks trust: those recorded by the company's owner or the platform
    organization. One recorded by a third organization unlocks nothing."""
    recorder = aliased(Organization)
    query = (
        select(ExportAuthorization)
        .join(Company, Company.id == ExportAuthorization.company_id)
        .join(recorder, recorder.id == ExportAuthorization.created_by_id)
        .where(
            ExportAuthorization.revoked_at.is_(None),
            or_(
                ExportAuthorization.created_by_id == Company.created_by_id,
                recorder.is_platform.is_(True),
            ),
        )
    )
    if company_ids is not None:
        query = query.where(ExportAuthorization.company_id.in_(company_ids))
    return list(session.scalars(query))


def create(
    session: Session, *, principal: Principal, data: ExportAuthorizationCreate
) -> ExportAuthorization:
    """Record an authorization for a company and one solicitation or technology area (the
    company's owner or the platform organization only)."""
    try:
        company = companies.get(session, company_id=data.company_id)
    except NotFound as exc:
        raise InvalidField("company_id", exc.message) from exc
    principal.require_voucher(company.created_by_id, "company")
    area_id = None
    if data.solicitation_id is not None:
        try:
            solicitations.get(session, solicitation_id=data.solicitation_id)
        except NotFound as exc:
            raise InvalidField("solicitation_id", exc.message) from exc
    if data.technology_area is not None:
        (area,) = areas_service.resolve(
            session, slugs=[data.technology_area], field="technology_area"
        )
        area_id = area.id
    auth = ExportAuthorization(
        company_id=data.company_id,
        solicitation_id=data.solicitation_id,
        technology_area_id=area_id,
        authority=data.authority,
        reference=data.reference,
        scope=data.scope,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        notes=data.notes,
        created_by_id=principal.organization_id,
    )
    session.add(auth)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="create",
        entity_type="export_authorization",
        entity_id=auth.id,
        changes=data.model_dump(),
    )
    return auth


def revoke(session: Session, *, principal: Principal, authorization_id: int) -> None:
    """Revoke an authorization (kept for the record, no longer valid)."""
    auth = session.get(ExportAuthorization, authorization_id)
    if auth is None or auth.revoked_at is not None:
        raise NotFound(f"no active export authorization with id {authorization_id}")
    principal.require_owner(auth.created_by_id, "export authorization")
    auth.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="revoke",
        entity_type="export_authorization",
        entity_id=auth.id,
    )
