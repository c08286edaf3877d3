"""Writing and reading audit events."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.companies.models import Company
from app.db import utcnow
from app.organizations.service import Principal
from app.solicitations.models import Solicitation


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value changed, as {field: {"before": .., "after": ..}}."""
    return {
        key: {"before": _jsonable(before.get(key)), "after": _jsonable(after[key])}
        for key in after
        if _jsonable(before.get(key)) != _jsonable(after[key])
    }


def event_row(
    *,
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: int,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one audit event, for bulk inserts."""
    return {
        "organization_id": principal.organization_id,
        "actor": principal.actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": _jsonable(changes or {}),
        "occurred_at": utcnow(),
    }


def record(
    session: Session,
    *,
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: int,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction."""
    event = AuditEvent(
        organization_id=principal.organization_id,
        actor=principal.actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=_jsonable(changes or {}),
    )
    session.add(event)
    session.flush()
    return event


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Which events an organization reads: the platform organization all of them; any other
    its own, and the system's (the area classifier's) on the records it owns."""
    if principal.is_platform:
        return true()
    org = principal.organization_id
    owned_companies = select(Company.id).where(Company.created_by_id == org)
    owned_solicitations = select(Solicitation.id).where(Solicitation.created_by_id == org)
    return or_(
        AuditEvent.organization_id == org,
        and_(
            AuditEvent.organization_id.is_(None),
            or_(
                and_(
                    AuditEvent.entity_type == "company",
                    AuditEvent.entity_id.in_(owned_companies),
                ),
                and_(
                    AuditEvent.entity_type == "solicitation",
                    AuditEvent.entity_id.in_(owned_solicitations),
                ),
            ),
        ),
    )


def get_all(
    session: Session,
    *,
    principal: Principal,
    entity_type: str | None,
    entity_id: int | None,
    action: str | None,
    limit: int,
    offset: int,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    """The audit events the principal's organization may read, newest first, filtered (the
    actor by a part of it; `since` inclusive, `until` exclusive)."""
    query = select(AuditEvent).where(visible_to(principal))
    if actor:
        escaped = actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEvent.actor.ilike(f"%{escaped}%", escape="\\"))
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if action:
        query = query.where(AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
