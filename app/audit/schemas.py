"""Audit event schemas."""

from datetime import datetime
from typing import Any

from app.common.schemas import ReadModel


class AuditEventRead(ReadModel):
    id: int
    occurred_at: datetime
    organization_id: int | None
    actor: str
    action: str
    entity_type: str
    entity_id: int
    changes: dict[str, Any]
