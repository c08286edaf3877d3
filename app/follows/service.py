"""Follows: the solicitations an organization watches, and the changes made to them while it
watched; and the sweep that records a deadline passing as a `closed` event."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import utcnow
from app.errors import InvalidField, NotFound
from app.follows.models import ChangeKind, SolicitationChange, SolicitationFollow
from app.follows.schemas import ChangeRead, FollowedChangeRead, FollowRead
from app.organizations.service import Principal
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation, SolicitationStatus

DEADLINE_SOURCE = "deadline"


@dataclass(frozen=True)
class FollowedChange:
    """A change to a solicitation the organization followed when the change was made."""

    id: int
    organization_id: int
    solicitation_id: int
    notice_id: str
    title: str
    kind: ChangeKind
    changes: dict[str, Any]
    source: str  # "import:<run id>", "deadline", or the editor's "<org>:<key prefix>"
    occurred_at: datetime
    followed_since: datetime


def public_source(source: str) -> str:
    """Who made a change, as any organization may read it: the kind of writer or the editing
    organization, without the import run or the key."""
    return source.split(":", 1)[0]


def to_change_read(change: SolicitationChange) -> ChangeRead:
    """The API view of a change."""
    return ChangeRead(
        id=change.id,
        solicitation_id=change.solicitation_id,
        kind=change.kind,
        changes=change.changes,
        source=public_source(change.source),
        occurred_at=change.occurred_at,
    )


def _find(
    session: Session, *, organization_id: int, solicitation_id: int
) -> SolicitationFollow | None:
    return session.scalar(
        select(SolicitationFollow).where(
            SolicitationFollow.organization_id == organization_id,
            SolicitationFollow.solicitation_id == solicitation_id,
        )
    )


def follow(
    session: Session, *, principal: Principal, solicitation_id: int
) -> tuple[SolicitationFollow, bool]:
    """Follow a live solicitation (idempotent); (follow, created). Audited when created."""
    solicitations.get(session, solicitation_id=solicitation_id)
    found = _find(
        session, organization_id=principal.organization_id, solicitation_id=solicitation_id
    )
    if found is not None:
        return found, False
    created = SolicitationFollow(
        organization_id=principal.organization_id,
        solicitation_id=solicitation_id,
        followed_by=principal.actor,
        created_at=utcnow(),
    )
    session.add(created)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="follow.create",
        entity_type="follow",
        entity_id=created.id,
        changes={"solicitation_id": {"before": None, "after": solicitation_id}},
    )
    return created, True


def unfollow(session: Session, *, principal: Principal, solicitation_id: int) -> None:
    """Stop following; NotFound when the organization does not follow it. Audited."""
    found = _find(
        session, organization_id=principal.organization_id, solicitation_id=solicitation_id
    )
    if found is None:
        raise NotFound(f"your organization does not follow solicitation {solicitation_id}")
    follow_id = found.id
    session.delete(found)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="follow.delete",
        entity_type="follow",
        entity_id=follow_id,
        changes={"solicitation_id": {"before": solicitation_id, "after": None}},
    )


def _latest_changes(session: Session, solicitation_ids: list[int]) -> dict[int, SolicitationChange]:
    """The newest change of each solicitation, in one query."""
    if not solicitation_ids:
        return {}
    newest = (
        select(
            SolicitationChange.id,
            func.row_number()
            .over(
                partition_by=SolicitationChange.solicitation_id,
                order_by=(SolicitationChange.occurred_at.desc(), SolicitationChange.id.desc()),
            )
            .label("n"),
        )
        .where(SolicitationChange.solicitation_id.in_(solicitation_ids))
        .subquery()
    )
    rows = session.scalars(
        select(SolicitationChange)
        .join(newest, newest.c.id == SolicitationChange.id)
        .where(newest.c.n == 1)
    )
    return {row.solicitation_id: row for row in rows}


def _follows(organization_id: int) -> Select[SolicitationFollow, Solicitation]:
    return (
        select(SolicitationFollow, Solicitation)
        .join(Solicitation, Solicitation.id == SolicitationFollow.solicitation_id)
        .where(
            SolicitationFollow.organization_id == organization_id,
            Solicitation.archived_at.is_(None),
        )
    )


def get_one(session: Session, *, organization_id: int, solicitation_id: int) -> FollowRead:
    """The organization's follow of one solicitation, or NotFound."""
    rows = session.execute(
        _follows(organization_id).where(SolicitationFollow.solicitation_id == solicitation_id)
    ).all()
    if not rows:
        raise NotFound(f"your organization does not follow solicitation {solicitation_id}")
    return _follow_reads(session, rows)[0]


def get_all(
    session: Session, *, organization_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[FollowRead], int]:
    """The organization's followed (live) solicitations, newest follow first, each with its
    latest change."""
    query = _follows(organization_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(SolicitationFollow.created_at.desc(), SolicitationFollow.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return _follow_reads(session, rows), total


def _follow_reads(session: Session, rows: Any) -> list[FollowRead]:
    latest = _latest_changes(session, [s.id for _f, s in rows])
    now = utcnow()
    return [
        FollowRead(
            solicitation_id=s.id,
            followed_by=f.followed_by,
            created_at=f.created_at,
            solicitation=solicitations.to_summary(s, now=now),
            latest_change=to_change_read(latest[s.id]) if s.id in latest else None,
        )
        for f, s in rows
    ]


def history(
    session: Session, *, solicitation_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[SolicitationChange], int]:
    """A live solicitation's changes, newest first (public: any organization may read them)."""
    solicitations.get(session, solicitation_id=solicitation_id)
    query = select(SolicitationChange).where(SolicitationChange.solicitation_id == solicitation_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SolicitationChange.occurred_at.desc(), SolicitationChange.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def _followed_changes(
    organization_id: int, since: datetime, until: datetime | None
) -> Select[SolicitationChange, SolicitationFollow, Solicitation]:
    """Changes of the organization's followed solicitations made while it followed them."""
    query = (
        select(SolicitationChange, SolicitationFollow, Solicitation)
        .join(
            SolicitationFollow,
            and_(
                SolicitationFollow.solicitation_id == SolicitationChange.solicitation_id,
                SolicitationFollow.organization_id == organization_id,
            ),
        )
        .join(Solicitation, Solicitation.id == SolicitationChange.solicitation_id)
        .where(
            SolicitationChange.occurred_at >= SolicitationFollow.created_at,
            SolicitationChange.occurred_at >= since,
        )
    )
    if until is not None:
        query = query.where(SolicitationChange.occurred_at < until)
    return query.order_by(SolicitationChange.occurred_at.desc(), SolicitationChange.id.desc())


def _check_window(since: datetime, until: datetime | None) -> None:
    if until is not None and until <= since:
        raise InvalidField("until", "must be after since", location="query")


def changes_for_organization(
    session: Session, *, organization_id: int, since: datetime, until: datetime | None = None
) -> list[FollowedChange]:
    """Every change in [since, until) of the solicitations the organization followed when the
    change was made, newest first: what the nightly report and the admin pages show."""
    _check_window(since, until)
    rows = session.execute(_followed_changes(organization_id, since, until)).all()
    return [
        FollowedChange(
            id=change.id,
            organization_id=organization_id,
            solicitation_id=change.solicitation_id,
            notice_id=solicitation.notice_id,
            title=solicitation.title,
            kind=change.kind,
            changes=change.changes,
            source=change.source,
            occurred_at=change.occurred_at,
            followed_since=follow_row.created_at,
        )
        for change, follow_row, solicitation in rows
    ]


def changes_page(
    session: Session,
    *,
    organization_id: int,
    since: datetime,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[FollowedChangeRead], int]:
    """One page of :func:`changes_for_organization`, as the API shows it."""
    _check_window(since, until)
    query = _followed_changes(organization_id, since, until)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    now = utcnow()
    return [
        FollowedChangeRead(
            **to_change_read(change).model_dump(),
            solicitation=solicitations.to_summary(solicitation, now=now),
        )
        for change, _follow, solicitation in session.execute(query.limit(limit).offset(offset))
    ], total


def record_deadline_closures(session: Session, *, now: datetime | None = None) -> int:
    """Record a `closed` event, dated at its deadline, for each followed solicitation whose
    deadline has passed with no `closed` event since; how many. Running it again records
    nothing new; a deadline moved later and passed again closes it again."""
    now = now or utcnow()
    already = exists().where(
        SolicitationChange.solicitation_id == Solicitation.id,
        SolicitationChange.kind == ChangeKind.CLOSED,
        SolicitationChange.occurred_at >= Solicitation.response_deadline,
    )
    followed = select(SolicitationFollow.solicitation_id)
    due = session.scalars(
        select(Solicitation)
        .where(
            Solicitation.id.in_(followed),
            Solicitation.archived_at.is_(None),
            Solicitation.status == SolicitationStatus.OPEN,
            Solicitation.response_deadline.is_not(None),
            Solicitation.response_deadline < now,
            ~already,
        )
        .order_by(Solicitation.id)
    ).all()
    for solicitation in due:
        session.add(
            SolicitationChange(
                solicitation_id=solicitation.id,
                kind=ChangeKind.CLOSED,
                changes={"status": {"before": "open", "after": "closed"}},
                source=DEADLINE_SOURCE,
                occurred_at=solicitation.response_deadline,
            )
        )
    session.flush()
    return len(due)
