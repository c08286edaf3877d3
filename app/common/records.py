"""Behaviour shared by the versioned, archivable, organization-owned records."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.areas import service as areas_service
from app.areas.models import TechnologyArea
from app.audit import service as audit
from app.db import unique_violation, utcnow
from app.errors import Conflict, InvalidField, PreconditionFailed
from app.jobs import service as jobs
from app.organizations.service import Principal


class VersionedRecord(Protocol):
    id: int
    version: int
    technology_areas: list[TechnologyArea]


class OwnedRecord(VersionedRecord, Protocol):
    created_by_id: int
    archived_at: datetime | None


def check_version(record: VersionedRecord, expected_version: int | None, label: str) -> None:
    """412 when the client's If-Match version is not the stored one."""
    if expected_version is not None and expected_version != record.version:
        raise PreconditionFailed(
            f"{label} {record.id} is at version {record.version}, not {expected_version}"
        )


def flush_or_conflict(session: Session, *, entity_type: str, values: Any) -> None:
    """Flush; a natural key taken meanwhile by a concurrent request is a 409 naming the field,
    not a 500 (the services check the keys first, but two requests can pass that check at
    once)."""
    try:
        session.flush()
    except IntegrityError as exc:
        columns = unique_violation(exc)
        if columns is None:
            raise
        taken = ", ".join(f"{c} {getattr(values, c, None)!s}" for c in columns) or "a natural key"
        raise Conflict(f"another {entity_type} already has {taken}") from exc


def queue_embedding(session: Session, *, entity_type: str, entity_id: int) -> None:
    """Ask the worker to (re)embed one record; repeated saves queue one job."""
    jobs.enqueue(
        session,
        kind="embed",
        payload={"entity": entity_type, "id": entity_id},
        dedupe_key=f"embed:{entity_type}:{entity_id}",
    )


def add_created(
    session: Session,
    *,
    principal: Principal,
    record: Any,
    entity_type: str,
    snapshot: Callable[[Any], dict[str, Any]],
    audited: bool,
    embed: bool,
) -> None:
    """Insert a new record, audit it (unless the caller audits in bulk), queue its embedding."""
    session.add(record)
    flush_or_conflict(session, entity_type=entity_type, values=record)
    if audited:
        audit.record(
            session,
            principal=principal,
            action="create",
            entity_type=entity_type,
            entity_id=record.id,
            changes=audit.diff({}, snapshot(record)),
        )
    if embed:
        queue_embedding(session, entity_type=entity_type, entity_id=record.id)


def apply_field_changes(
    session: Session,
    *,
    record: Any,
    changes: dict[str, Any],
    snapshot: Callable[[Any], dict[str, Any]],
    not_nullable: set[str],
    lock: bool = False,
    reembed: tuple[str, set[str]] | None = None,
    derive: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """Write validated changes onto a record and return the audited diff.

    With `lock`, the changed fields are remembered as set by hand so imports keep them; with
    `reembed` (entity type, text fields), a change to those fields queues a new embedding;
    `derive` recomputes fields that follow from others, in the same flush (one version bump).
    """
    for key, value in changes.items():
        if value is None and key in not_nullable:
            raise InvalidField(key, "may not be null")
    # Resolve areas first: its query would otherwise flush half-applied changes, bumping the
    # version twice for one edit.
    areas = (
        areas_service.resolve(session, slugs=changes["technology_areas"], field="technology_areas")
        if "technology_areas" in changes
        else None
    )
    before = snapshot(record)
    with session.no_autoflush:
        for key, value in changes.items():
            if key == "technology_areas":
                record.technology_areas = areas
            elif isinstance(value, list):
                setattr(
                    record, key, [v.model_dump() if isinstance(v, BaseModel) else v for v in value]
                )
            else:
                setattr(record, key, value)
        changed = audit.diff(before, snapshot(record))
        if changed and derive is not None:
            derive(record)
    if changed:
        record.updated_at = utcnow()
        if lock:
            record.locked_fields = sorted(set(record.locked_fields) | changed.keys())
        flush_or_conflict(session, entity_type=type(record).__name__.lower(), values=record)
        if reembed is not None and reembed[1] & changed.keys():
            queue_embedding(session, entity_type=reembed[0], entity_id=record.id)
    return changed


def update_owned(
    session: Session,
    *,
    principal: Principal,
    record: OwnedRecord,
    entity_type: str,
    expected_version: int | None,
    changes: dict[str, Any],
    apply: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """A hand edit of a shared record: owner only, If-Match honoured, audited."""
    principal.require_owner(record.created_by_id, entity_type)
    check_version(record, expected_version, entity_type)
    changed = apply(changes)
    if changed:
        audit.record(
            session,
            principal=principal,
            action="update",
            entity_type=entity_type,
            entity_id=record.id,
            changes=changed,
        )
    return changed


def archive_owned(
    session: Session, *, principal: Principal, record: OwnedRecord, entity_type: str
) -> None:
    """Archive a shared record (owner only): gone from reads, lists and matching; history
    stays."""
    principal.require_owner(record.created_by_id, entity_type)
    record.archived_at = utcnow()
    session.flush()
    audit.record(
        session, principal=principal, action="archive", entity_type=entity_type, entity_id=record.id
    )
