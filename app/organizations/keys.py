"""An organization's API keys as its admins manage them: listed, created and revoked, audited."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.errors import NotFound
from app.organizations.models import ApiKey, Role
from app.organizations.service import Principal, create_api_key, revoke_api_key
from app.organizations.settings import get as get_organization


def list_keys(session: Session, *, organization_id: int) -> list[ApiKey]:
    """The organization's keys, active first, newest first."""
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.organization_id == organization_id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def create(
    session: Session, *, principal: Principal, role: Role, label: str | None
) -> tuple[ApiKey, str]:
    """A new key of the principal's organization; the raw key is returned once, never stored."""
    organization = get_organization(session, organization_id=principal.organization_id)
    key, raw = create_api_key(session, organization=organization, role=role, label=label)
    audit.record(
        session,
        principal=principal,
        action="api_key.create",
        entity_type="api_key",
        entity_id=key.id,
        changes={"prefix": key.prefix, "role": role.value, "label": label},
    )
    return key, raw


def revoke(session: Session, *, principal: Principal, prefix: str) -> ApiKey:
    """Revoke one of the organization's keys; another organization's is not found."""
    key = session.scalar(
        select(ApiKey).where(
            ApiKey.prefix == prefix, ApiKey.organization_id == principal.organization_id
        )
    )
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    was_active = key.revoked_at is None
    revoke_api_key(session, prefix=prefix)
    if was_active:
        audit.record(
            session,
            principal=principal,
            action="api_key.revoke",
            entity_type="api_key",
            entity_id=key.id,
            changes={"prefix": key.prefix},
        )
    return key
