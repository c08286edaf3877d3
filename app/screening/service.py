"""Restricted-party screening: loading list snapshots, the hits they raise, and the decisions
reviewers take on them (clear as a false positive, or confirm: the company is blocked and its
vetting suspended)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, insert, select, true
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.companies import service as companies
from app.companies.models import Company, CompanyRole
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidField, NotFound, PreconditionFailed
from app.organizations.service import Principal
from app.screening import lists
from app.screening.models import (
    HitStatus,
    ScreeningEntry,
    ScreeningHit,
    ScreeningList,
    ScreeningSnapshot,
)
from app.screening.screen import current_snapshots, refresh_status, screen_companies
from app.vetting import service as vetting
from app.vetting.models import VettingStatus
from app.vetting.schemas import VettingDecisionCreate

__all__ = [
    "LoadResult",
    "clear_hit",
    "confirm_hit",
    "current_snapshots",
    "get_hit",
    "history",
    "hits",
    "load_snapshot",
    "new_hits",
    "screen_companies",
    "snapshots",
]


@dataclass(frozen=True)
class LoadResult:
    """A stored snapshot and the potential hits screening against it raised."""

    snapshot: ScreeningSnapshot
    hits_raised: int


def load_snapshot(
    session: Session,
    *,
    list_name: ScreeningList | None,
    filename: str,
    data: bytes,
    principal: Principal,
) -> LoadResult:
    """Store a list file as the list's new snapshot (read whole first: a bad file changes
    nothing), count what changed since the previous snapshot, and screen every live company
    against it. The list is told by the header when not given."""
    if not principal.is_platform:
        raise Forbidden("screening lists are loaded by the platform organization")
    parsed = lists.parse(data, list_name=list_name)
    previous_id = session.scalar(
        select(func.max(ScreeningSnapshot.id)).where(
            ScreeningSnapshot.list_name == parsed.list_name
        )
    )
    before: dict[str, str] = {}
    if previous_id is not None:
        rows = session.execute(
            select(ScreeningEntry.entry_key, ScreeningEntry.entry_hash).where(
                ScreeningEntry.snapshot_id == previous_id
            )
        )
        before = {key: entry_hash for key, entry_hash in rows}
    after = {e.entry_key: e.entry_hash for e in parsed.entries}
    snapshot = ScreeningSnapshot(
        list_name=parsed.list_name,
        filename=filename[:300],
        sha256=hashlib.sha256(data).hexdigest(),
        entry_count=len(parsed.entries),
        added_count=len(after.keys() - before.keys()),
        removed_count=len(before.keys() - after.keys()),
        changed_count=sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
        loaded_by=principal.actor[:128],
    )
    session.add(snapshot)
    session.flush()
    session.execute(
        insert(ScreeningEntry),
        [
            {
                "snapshot_id": snapshot.id,
                "list_name": parsed.list_name,
                "entry_key": e.entry_key,
                "entry_hash": e.entry_hash,
                "source": e.source[:300],
                "entry_type": (e.entry_type or None) and e.entry_type[:64],
                "names": e.names,
                "addresses": e.addresses,
                "countries": e.countries,
                "programs": e.programs,
                "remarks": e.remarks,
                "source_list_url": e.source_list_url and e.source_list_url[:500],
            }
            for e in parsed.entries
        ],
    )
    raised = screen_companies(session)
    audit.record(
        session,
        principal=principal,
        action="screening.load",
        entity_type="screening_snapshot",
        entity_id=snapshot.id,
        changes={
            "list_name": parsed.list_name.value,
            "filename": snapshot.filename,
            "entries": snapshot.entry_count,
            "added": snapshot.added_count,
            "removed": snapshot.removed_count,
            "changed": snapshot.changed_count,
            "hits_raised": raised,
        },
    )
    return LoadResult(snapshot, raised)


def snapshots(
    session: Session, *, limit: int = 50, offset: int = 0
) -> tuple[list[ScreeningSnapshot], int]:
    """Every snapshot loaded, newest first, with the total count."""
    total = session.scalar(select(func.count()).select_from(ScreeningSnapshot)) or 0
    rows = session.scalars(
        select(ScreeningSnapshot).order_by(ScreeningSnapshot.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def _visible(principal: Principal) -> ColumnElement[bool]:
    """The platform organization reads every hit; another organization those on its companies."""
    if principal.is_platform:
        return true()
    owned = select(Company.id).where(Company.created_by_id == principal.organization_id)
    return ScreeningHit.company_id.in_(owned)


def _hits_query(principal: Principal) -> Select[ScreeningHit]:
    return select(ScreeningHit).where(_visible(principal))


def hits(
    session: Session,
    *,
    principal: Principal,
    status: HitStatus | None = None,
    company_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ScreeningHit], int]:
    """Hits the principal may read, newest first, with the total."""
    query = _hits_query(principal)
    if status is not None:
        query = query.where(ScreeningHit.status == status)
    if company_id is not None:
        query = query.where(ScreeningHit.company_id == company_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ScreeningHit.created_at.desc(), ScreeningHit.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.unique()), total


def get_hit(
    session: Session, *, principal: Principal, hit_id: int, for_update: bool = False
) -> ScreeningHit:
    """One hit the principal may read, or NotFound."""
    query = _hits_query(principal).where(ScreeningHit.id == hit_id)
    if for_update:
        # Two reviewers deciding at once are applied one after the other (PostgreSQL).
        query = query.with_for_update(of=ScreeningHit)
    hit = session.scalar(query)
    if hit is None:
        raise NotFound(f"no screening hit with id {hit_id}")
    return hit


def history(session: Session, *, principal: Principal, company_id: int) -> list[ScreeningHit]:
    """Every hit on a company and what was decided about it, newest first."""
    companies.get(session, company_id=company_id)
    return list(
        session.scalars(
            _hits_query(principal)
            .where(ScreeningHit.company_id == company_id)
            .order_by(ScreeningHit.created_at.desc(), ScreeningHit.id.desc())
        ).unique()
    )


def _decide(
    session: Session,
    *,
    principal: Principal,
    hit_id: int,
    expected_version: int | None,
    status: HitStatus,
    reason: str | None,
) -> ScreeningHit:
    hit = get_hit(session, principal=principal, hit_id=hit_id, for_update=True)
    company = companies.get(session, company_id=hit.company_id)
    principal.require_voucher(company.created_by_id, "company")
    if expected_version is not None and expected_version != hit.version:
        raise PreconditionFailed(
            f"screening hit {hit.id} is at version {hit.version}, not {expected_version}"
        )
    if hit.status is not HitStatus.OPEN:
        raise Conflict(f"screening hit {hit.id} was already {hit.status.value}")
    hit.status = status
    hit.decision_reason = reason
    hit.decided_by = principal.actor[:128]
    hit.decided_at = utcnow()
    session.flush()
    audit.record(
        session,
        principal=principal,
        action=f"screening.{'clear' if status is HitStatus.CLEARED else 'confirm'}",
        entity_type="company",
        entity_id=company.id,
        changes={
            "hit_id": hit.id,
            "list_name": hit.list_name.value,
            "entry_key": hit.entry_key,
            "entry_name": hit.entry_name,
            "status": status.value,
            "reason": reason,
        },
    )
    refresh_status(session, company_ids=[company.id])
    return hit


def clear_hit(
    session: Session,
    *,
    principal: Principal,
    hit_id: int,
    reason: str,
    expected_version: int | None = None,
) -> ScreeningHit:
    """Clear an open hit as a false positive, with a written reason; it is not raised again
    while the list entry stays the same."""
    if not reason.strip():
        raise InvalidField("reason", "a cleared hit needs a written reason")
    return _decide(
        session,
        principal=principal,
        hit_id=hit_id,
        expected_version=expected_version,
        status=HitStatus.CLEARED,
        reason=reason.strip(),
    )


def confirm_hit(
    session: Session,
    *,
    principal: Principal,
    hit_id: int,
    reason: str | None = None,
    expected_version: int | None = None,
) -> ScreeningHit:
    """Confirm an open hit: the company is blocked, and a Japanese partner's vetting is
    suspended through a vetting decision (so its history shows why)."""
    hit = _decide(
        session,
        principal=principal,
        hit_id=hit_id,
        expected_version=expected_version,
        status=HitStatus.CONFIRMED,
        reason=(reason or "").strip() or None,
    )
    company = companies.get(session, company_id=hit.company_id)
    if company.role is CompanyRole.JP_PARTNER and company.vetting_status != "suspended":
        evidence = f"confirmed on {hit.list_name.value} entry {hit.entry_key} ({hit.entry_name})"
        if hit.decision_reason:
            evidence += f": {hit.decision_reason}"
        vetting.decide(
            session,
            principal=principal,
            company_id=company.id,
            data=VettingDecisionCreate(status=VettingStatus.SUSPENDED, evidence=evidence[:5000]),
        )
    return hit


def new_hits(session: Session, since: datetime, until: datetime) -> list[ScreeningHit]:
    """Hits raised in [since, until), oldest first: for the nightly report."""
    return list(
        session.scalars(
            select(ScreeningHit)
            .where(ScreeningHit.created_at >= since, ScreeningHit.created_at < until)
            .order_by(ScreeningHit.created_at, ScreeningHit.id)
        ).unique()
    )
