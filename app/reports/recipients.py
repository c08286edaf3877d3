"""The recipients of an organization's nightly report: private to the organization, managed by
its admins, every change audited."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.areas import service as areas
from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict, NotFound, PreconditionFailed
from app.organizations.service import Principal
from app.reports.api_schemas import RecipientCreate, RecipientRead, RecipientUpdate
from app.reports.models import ReportMessage, ReportRecipient

AUDITED = (
    "email",
    "name",
    "locale",
    "technology_areas",
    "min_fit",
    "max_matches",
    "when_nothing_new",
    "opted_out_at",
    "opted_out_by",
)


def snapshot(recipient: ReportRecipient) -> dict[str, Any]:
    """The audited fields of a recipient."""
    return {field: getattr(recipient, field) for field in AUDITED}


def to_read(recipient: ReportRecipient) -> RecipientRead:
    """The API view of a recipient."""
    return RecipientRead.model_validate(recipient)


def get(session: Session, *, organization_id: int, recipient_id: int) -> ReportRecipient:
    """One of the organization's recipients; another organization's is a 404 like a missing one."""
    recipient = session.get(ReportRecipient, recipient_id)
    if recipient is None or recipient.organization_id != organization_id:
        raise NotFound(f"no report recipient with id {recipient_id} in this organization")
    return recipient


def get_all(
    session: Session,
    *,
    organization_id: int,
    opted_out: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ReportRecipient], int]:
    """The organization's recipients by email, with the total."""
    query = select(ReportRecipient).where(ReportRecipient.organization_id == organization_id)
    if opted_out is not None:
        query = query.where(
            ReportRecipient.opted_out_at.is_not(None)
            if opted_out
            else ReportRecipient.opted_out_at.is_(None)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(func.lower(ReportRecipient.email), ReportRecipient.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def find_by_email(session: Session, *, organization_id: int, email: str) -> ReportRecipient | None:
    """The organization's recipient with this address (case does not matter), if any."""
    return session.scalar(
        select(ReportRecipient).where(
            ReportRecipient.organization_id == organization_id,
            func.lower(ReportRecipient.email) == email.lower(),
        )
    )


def _refuse_taken_email(
    session: Session, *, organization_id: int, email: str, recipient_id: int | None = None
) -> None:
    taken = find_by_email(session, organization_id=organization_id, email=email)
    if taken is not None and taken.id != recipient_id:
        raise Conflict(
            f"the organization already has a report recipient {taken.email} (id {taken.id})"
        )


def create(session: Session, *, principal: Principal, data: RecipientCreate) -> ReportRecipient:
    """Add a recipient to the principal's organization (admins, checked by the route); an
    unknown area is a 422, an address already listed a 409. Audited."""
    areas.resolve(session, slugs=data.technology_areas, field="technology_areas")
    _refuse_taken_email(session, organization_id=principal.organization_id, email=data.email)
    recipient = ReportRecipient(organization_id=principal.organization_id, **data.model_dump())
    session.add(recipient)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="report_recipient.create",
        entity_type="report_recipient",
        entity_id=recipient.id,
        changes=audit.diff({}, snapshot(recipient)),
    )
    return recipient


def update(
    session: Session,
    *,
    principal: Principal,
    recipient_id: int,
    data: RecipientUpdate,
    expected_version: int | None,
) -> ReportRecipient:
    """Change the fields sent; `opted_out` stops or restarts the reports, recording the admin.
    A stale If-Match version is a 412. Audited when anything changed."""
    recipient = get(session, organization_id=principal.organization_id, recipient_id=recipient_id)
    if expected_version is not None and expected_version != recipient.version:
        raise PreconditionFailed(
            f"the recipient is at version {recipient.version}, not {expected_version}"
        )
    sent = data.model_fields_set
    if "technology_areas" in sent:
        areas.resolve(session, slugs=data.technology_areas, field="technology_areas")
    if "email" in sent:
        _refuse_taken_email(
            session,
            organization_id=principal.organization_id,
            email=data.email,
            recipient_id=recipient.id,
        )
    before = snapshot(recipient)
    with session.no_autoflush:
        for field in sent - {"opted_out"}:
            setattr(recipient, field, getattr(data, field))
        if "opted_out" in sent:
            _set_opted_out(recipient, opted_out=data.opted_out, by=principal.actor)
    changed = audit.diff(before, snapshot(recipient))
    if changed:
        session.flush()
        audit.record(
            session,
            principal=principal,
            action="report_recipient.update",
            entity_type="report_recipient",
            entity_id=recipient.id,
            changes=changed,
        )
    return recipient


def _set_opted_out(recipient: ReportRecipient, *, opted_out: bool, by: str) -> None:
    """Stop (keeping the first stop's time and author) or restart the reports."""
    if opted_out and recipient.opted_out_at is None:
        recipient.opted_out_at = utcnow()
        recipient.opted_out_by = by
    elif not opted_out:
        recipient.opted_out_at = None
        recipient.opted_out_by = None


def delete(session: Session, *, principal: Principal, recipient_id: int) -> None:
    """Remove a recipient that has no report in the outbox yet; one with reports is a 409
    (opt it out instead, so what was sent to it stays on record). Audited."""
    recipient = get(session, organization_id=principal.organization_id, recipient_id=recipient_id)
    reports = session.scalar(select(func.count()).where(ReportMessage.recipient_id == recipient.id))
    if reports:
        raise Conflict(
            f"{recipient.email} has {reports} report(s) in the outbox: opt the recipient out "
            'instead (PATCH with {"opted_out": true}) so their history stays'
        )
    before = snapshot(recipient)
    session.delete(recipient)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="report_recipient.delete",
        entity_type="report_recipient",
        entity_id=recipient_id,
        changes=audit.diff(before, dict.fromkeys(before)),
    )
