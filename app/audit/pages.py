"""The audit log in the admin pages: who changed what and when, with before and after."""

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, model_validator

from app.admin import i18n
from app.admin.forms import parse_form
from app.admin.i18n import N_
from app.admin.web import UserDep, render, require_role
from app.audit import service
from app.common.schemas import Offset, StrictModel
from app.deps import SessionDep
from app.organizations.models import Role

router = APIRouter(prefix="/admin/audit", include_in_schema=False)
PER_PAGE = 50
FILTERS = ("entity_type", "action", "actor", "entity_id", "since", "until")
READ_THE_AUDIT_LOG = N_("read the audit log")
UNTIL_BEFORE_SINCE = N_("the end date is before the start date")


class AuditFilters(StrictModel):
    """The audit list's filters, as the form sends them (dates are days in the reader's zone)."""

    entity_type: Annotated[str | None, Field(max_length=64)] = None
    action: Annotated[str | None, Field(max_length=64)] = None
    actor: Annotated[str | None, Field(max_length=100)] = None
    entity_id: Annotated[int | None, Field(ge=1, le=2**63 - 1)] = None
    since: date | None = None
    until: date | None = None

    @model_validator(mode="after")
    def _in_order(self) -> "AuditFilters":
        if self.since and self.until and self.until < self.since:
            raise ValueError(UNTIL_BEFORE_SINCE)
        return self


def _start_of(day: date, zone_name: str) -> datetime:
    """Midnight of a day in the reader's zone."""
    return datetime.combine(day, time.min, tzinfo=i18n.zone(zone_name))


def shown(value: Any) -> str:
    """A stored value as a person reads it: lists joined, records as JSON, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def describe_changes(changes: dict[str, Any]) -> list[tuple[str, str, str]]:
    """An event's changes as rows of (field, before, after); a plain value is an after only."""
    rows = []
    for name, value in changes.items():
        if isinstance(value, dict) and value and set(value) <= {"before", "after"}:
            rows.append((name, shown(value.get("before")), shown(value.get("after"))))
        else:
            rows.append((name, "", shown(value)))
    return rows


@router.get("", response_class=HTMLResponse)
def audit_page(
    request: Request, session: SessionDep, signed_in: UserDep, offset: Offset = 0
) -> Response:
    """The events the organization may read (every event for platform admins), newest first,
    filtered by entity type, action, actor, dates and record number."""
    require_role(signed_in, Role.ADMIN, READ_THE_AUDIT_LOG)
    values = {k: request.query_params.get(k, "") for k in FILTERS}
    parsed = parse_form(AuditFilters, values)
    if parsed.model is None:
        # The one rule across fields (the order of the dates) is shown beside the end date.
        errors = {k if k in FILTERS else "until": v for k, v in parsed.errors.items()}
        context = {"values": values, "errors": errors, "events": [], "total": 0}
        return render(
            request,
            "audit/index.html",
            _page(context, offset),
            signed_in=signed_in,
            status_code=422,
        )
    filters = parsed.model
    zone = signed_in.user.time_zone
    rows, total = service.get_all(
        session,
        principal=signed_in.principal,
        entity_type=filters.entity_type,
        entity_id=filters.entity_id,
        action=filters.action,
        actor=filters.actor,
        since=_start_of(filters.since, zone) if filters.since else None,
        until=_start_of(filters.until + timedelta(days=1), zone) if filters.until else None,
        limit=PER_PAGE,
        offset=offset,
    )
    events = [{"event": e, "rows": describe_changes(e.changes)} for e in rows]
    context = {"values": values, "errors": {}, "events": events, "total": total}
    return render(request, "audit/index.html", _page(context, offset), signed_in=signed_in)


def _page(context: dict[str, Any], offset: int) -> dict[str, Any]:
    """The pager's part: where this page starts, and the filters its links keep."""
    kept = {k: v for k, v in context["values"].items() if v}
    return {
        **context,
        "offset": offset,
        "per_page": PER_PAGE,
        "query": urlencode(kept) + "&" if kept else "",
        "filtered": bool(kept),
    }
