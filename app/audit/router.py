"""Audit endpoints (admin)."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEventRead
from app.common.schemas import FILTER_PATTERN, Page, RecordId
from app.deps import AdminDep, PageDep, SessionDep
from app.errors import error_responses

router = APIRouter(prefix="/audit", tags=["audit"], responses=error_responses(401, 403))


@router.get("", response_model=Page[AuditEventRead])
def list_events(
    session: SessionDep,
    principal: AdminDep,
    page: PageDep,
    entity_type: Annotated[str | None, Query(max_length=64, pattern=FILTER_PATTERN)] = None,
    entity_id: RecordId | None = None,
    action: Annotated[str | None, Query(max_length=64, pattern=FILTER_PATTERN)] = None,
) -> Page[AuditEventRead]:
    """Who changed what and when, newest first: your organization's events (every event for
    the platform organization's admins)."""
    rows, total = service.get_all(
        session,
        principal=principal,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[AuditEventRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
