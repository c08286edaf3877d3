"""Solicitations: list, read, create, update, archive."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from app.areas import service as areas_service
from app.areas.models import TechnologyArea
from app.common.records import add_created, apply_field_changes, archive_owned, update_owned
from app.db import utcnow
from app.errors import Conflict, InvalidField, NotFound
from app.follows import events
from app.organizations.service import Principal
from app.solicitations.models import (
    Solicitation,
    SolicitationStatus,
    deadline_before_posted,
    solicitation_technology_areas,
    stated_deadline,
    stated_flags,
)
from app.solicitations.schemas import (
    SolicitationCreate,
    SolicitationRead,
    SolicitationSummary,
    SolicitationUpdate,
)
from matching.text import FieldedText

NOT_NULLABLE = {
    "title",
    "description",
    "technology_areas",
    "naics",
    "status",
    "export_control",
    "foreign_participation",
}
TEXT_FIELDS = {"title", "description", "technology_areas", "naics"}


def need_text(solicitation: Solicitation) -> str:
    """The text the ranker reads for a solicitation."""
    return need_fields(solicitation).text


def need_fields(solicitation: Solicitation) -> FieldedText:
    """A solicitation's ranked fields, composed; explanations quote these fields."""
    return compose_need_fields(solicitation.title, solicitation.description)


def compose_need_fields(title: str, description: str) -> FieldedText:
    """Title and description as fields named as the API names them (also for column-only
    queries)."""
    return FieldedText([("title", title), ("description", description)])


def compose_need_text(title: str, description: str) -> str:
    """The composed text of :func:`compose_need_fields`."""
    return compose_need_fields(title, description).text


def snapshot(solicitation: Solicitation) -> dict[str, Any]:
    """The audited (and API-visible) fields of a solicitation."""
    fields = [
        "source",
        "notice_id",
        "solicitation_number",
        "title",
        "agency",
        "sub_tier",
        "office",
        "consortium",
        "ota_type",
        "notice_type",
        "description",
        "naics",
        "classification_code",
        "set_aside",
        "posted_date",
        "response_deadline",
        "status",
        "export_control",
        "foreign_participation",
        "awardee",
        "place_of_performance",
        "link",
    ]
    data = {f: getattr(solicitation, f) for f in fields}
    value = solicitation.estimated_value
    data["estimated_value"] = float(value) if value is not None else None
    data["technology_areas"] = solicitation.area_slugs
    return data


def effective_status(solicitation: Solicitation, *, now: datetime) -> SolicitationStatus:
    """The status readers see: an open solicitation whose deadline has passed is closed.

    Worked out when read, so it holds from the moment the deadline passes, with no job to run;
    the stored status stays `open`, so moving the deadline later opens it again.
    """
    deadline = solicitation.response_deadline
    if solicitation.status is SolicitationStatus.OPEN and deadline is not None and deadline < now:
        return SolicitationStatus.CLOSED
    return solicitation.status


def status_condition(status: SolicitationStatus, *, now: datetime) -> ColumnElement[bool]:
    """SQL condition for solicitations whose effective status (see above) is `status`."""
    past_deadline = and_(
        Solicitation.status == SolicitationStatus.OPEN, Solicitation.response_deadline < now
    )
    if status is SolicitationStatus.OPEN:
        return and_(
            Solicitation.status == SolicitationStatus.OPEN,
            or_(Solicitation.response_deadline.is_(None), Solicitation.response_deadline >= now),
        )
    if status is SolicitationStatus.CLOSED:
        return or_(Solicitation.status == SolicitationStatus.CLOSED, past_deadline)
    return Solicitation.status == status


def to_read(solicitation: Solicitation, *, now: datetime | None = None) -> SolicitationRead:
    """The API view of a solicitation, with its effective status."""
    data = snapshot(solicitation)
    data["status"] = effective_status(solicitation, now=now or utcnow())
    return SolicitationRead(
        id=solicitation.id,
        **data,
        suggested_areas=solicitation.suggested_areas,
        response_deadline_date_only=solicitation.response_deadline_date_only,
        flags=solicitation.flags,
        created_by=solicitation.created_by.slug,
        created_at=solicitation.created_at,
        updated_at=solicitation.updated_at,
        version=solicitation.version,
    )


def get(session: Session, *, solicitation_id: int, for_update: bool = False) -> Solicitation:
    """A live (not archived) solicitation, or NotFound. `for_update` locks its row until the
    transaction ends (PostgreSQL; SQLite's write transactions are serial already), so
    concurrent changes apply one after the other instead of failing as stale."""
    solicitation = session.get(
        Solicitation,
        solicitation_id,
        with_for_update={"of": Solicitation} if for_update else None,
        populate_existing=for_update,
    )
    if solicitation is None or solicitation.archived_at is not None:
        raise NotFound(f"no solicitation with id {solicitation_id}")
    return solicitation


def find_by_notice(session: Session, *, source: str, notice_id: str) -> Solicitation | None:
    """The solicitation with this natural key, archived or not."""
    return session.scalar(
        select(Solicitation).where(
            Solicitation.source == source, Solicitation.notice_id == notice_id
        )
    )


def get_all(
    session: Session,
    *,
    status: SolicitationStatus | None = None,
    technology_area: str | None = None,
    deadline_after: datetime | None = None,
    deadline_before: datetime | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[Solicitation], int]:
    """Live solicitations matching the filters, soonest deadline first, with the total.

    `status` filters on the effective status: `open` leaves out those past their deadline,
    `closed` includes them."""
    if deadline_after and deadline_before and deadline_before < deadline_after:
        raise InvalidField("deadline_before", "is before deadline_after", location="query")
    query = select(Solicitation).where(Solicitation.archived_at.is_(None))
    if status is not None:
        query = query.where(status_condition(status, now=now or utcnow()))
    if technology_area:
        areas_service.resolve(session, slugs=[technology_area], field="technology_area")
        query = query.where(
            Solicitation.id.in_(
                select(solicitation_technology_areas.c.solicitation_id)
                .join(TechnologyArea)
                .where(TechnologyArea.slug == technology_area)
            )
        )
    if deadline_after is not None:
        query = query.where(Solicitation.response_deadline >= deadline_after)
    if deadline_before is not None:
        query = query.where(Solicitation.response_deadline <= deadline_before)
    if q:
        needle = q.strip().lower()
        query = query.where(
            or_(
                func.lower(Solicitation.title).contains(needle, autoescape=True),
                func.lower(Solicitation.description).contains(needle, autoescape=True),
                func.lower(Solicitation.notice_id).contains(needle, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(
        Solicitation.response_deadline.is_(None), Solicitation.response_deadline, Solicitation.id
    )
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


def create(
    session: Session,
    *,
    principal: Principal,
    data: SolicitationCreate,
    suggested_areas: list[dict[str, Any]] | None = None,
    embed: bool = True,
    audited: bool = True,
) -> Solicitation:
    """Create a solicitation; (source, notice_id) must be new."""
    existing = find_by_notice(session, source=data.source, notice_id=data.notice_id)
    if existing is not None:
        state = " (archived)" if existing.archived_at else ""
        raise Conflict(
            f"solicitation {existing.id}{state} already has notice id "
            f"{data.notice_id!r} from source {data.source!r}"
        )
    areas = areas_service.resolve(session, slugs=data.technology_areas, field="technology_areas")
    solicitation = Solicitation(
        **data.model_dump(exclude={"technology_areas"}),
        technology_areas=areas,
        suggested_areas=suggested_areas or [],
        created_by_id=principal.organization_id,
    )
    add_created(
        session,
        principal=principal,
        record=solicitation,
        entity_type="solicitation",
        snapshot=snapshot,
        audited=audited,
        embed=embed,
    )
    return solicitation


def insert_new(
    session: Session,
    *,
    principal: Principal,
    items: Sequence[tuple[SolicitationCreate, Sequence[int]]],
) -> list[int]:
    """Insert new solicitations, each with its technology area ids, in a few statements and
    return their ids in order: the bulk form of `create` for imports, which check the natural
    keys and the areas first and write the audit rows themselves. A key taken meanwhile by
    another writer raises IntegrityError."""
    if not items:
        return []
    now = utcnow()
    fields = [name for name in SolicitationCreate.model_fields if name != "technology_areas"]
    rows = []
    for data, _area_ids in items:
        # The fields as they are (what model_dump gives, at a fraction of its cost per row).
        row = {name: getattr(data, name) for name in fields}
        deadline = row["response_deadline"]
        (
            row["response_deadline"],
            row["response_deadline_offset"],
            row["response_deadline_date_only"],
        ) = stated_deadline(deadline)
        row["flags"] = stated_flags(data.posted_date, deadline)
        row.update(
            locked_fields=[],
            suggested_areas=[],
            created_by_id=principal.organization_id,
            created_at=now,
            updated_at=now,
            archived_at=None,
            version=1,
        )
        rows.append(row)
    table = cast(Table, Solicitation.__table__)
    session.execute(insert(table), rows)
    # Read back by natural key: a plain executemany, without RETURNING, is what both drivers
    # send fastest (psycopg would otherwise parse one statement holding every row's values).
    by_key: dict[tuple[str, str], int] = {}
    for source in {data.source for data, _area_ids in items}:
        notice_ids = [data.notice_id for data, _area_ids in items if data.source == source]
        found = session.execute(
            select(table.c.notice_id, table.c.id).where(
                table.c.source == source, table.c.notice_id.in_(notice_ids)
            )
        )
        by_key.update({(source, notice_id): id_ for notice_id, id_ in found})
    ids = [by_key[(data.source, data.notice_id)] for data, _area_ids in items]
    links = [
        {"solicitation_id": id_, "technology_area_id": area_id}
        for id_, (_data, area_ids) in zip(ids, items, strict=True)
        for area_id in area_ids
    ]
    if links:
        session.execute(insert(solicitation_technology_areas), links)
    return ids


def apply_changes(
    session: Session,
    *,
    solicitation: Solicitation,
    changes: dict[str, Any],
    lock: bool = False,
    embed: bool = True,
) -> dict[str, Any]:
    """Write validated changes; re-embeds when the text changed. A hand edit (lock) may not
    move the dates apart; an import keeps what its source says (the record is flagged)."""
    posted = changes.get("posted_date", solicitation.posted_date)
    deadline = changes.get("response_deadline", solicitation.response_deadline)
    dated = {"posted_date", "response_deadline"} & changes.keys()
    if lock and dated and deadline_before_posted(posted, deadline):
        raise InvalidField("response_deadline", "is before posted_date")
    return apply_field_changes(
        session,
        record=solicitation,
        changes=changes,
        snapshot=snapshot,
        not_nullable=NOT_NULLABLE,
        lock=lock,
        reembed=("solicitation", TEXT_FIELDS) if embed else None,
    )


def update(
    session: Session,
    *,
    principal: Principal,
    solicitation_id: int,
    data: SolicitationUpdate,
    expected_version: int | None,
) -> Solicitation:
    """Change the fields sent; the caller's organization must own the record. What changed is
    recorded as change events for followers."""
    solicitation = get(session, solicitation_id=solicitation_id, for_update=True)
    was_open = events.is_open(solicitation, now=utcnow())
    changed = update_owned(
        session,
        principal=principal,
        record=solicitation,
        entity_type="solicitation",
        expected_version=expected_version,
        changes={k: getattr(data, k) for k in data.model_fields_set},
        apply=lambda changes: apply_changes(
            session, solicitation=solicitation, changes=changes, lock=True
        ),
    )
    if changed:
        events.record(
            session,
            solicitation=solicitation,
            changed=changed,
            was_open=was_open,
            source=principal.actor,
        )
    return solicitation


def archive(session: Session, *, principal: Principal, solicitation_id: int) -> None:
    """Archive a solicitation: it disappears from lists and matching; history stays, and its
    followers see it closed."""
    solicitation = get(session, solicitation_id=solicitation_id, for_update=True)
    was_open = events.is_open(solicitation, now=utcnow())
    archive_owned(session, principal=principal, record=solicitation, entity_type="solicitation")
    events.record_archive(
        session, solicitation=solicitation, was_open=was_open, source=principal.actor
    )


def to_summary(solicitation: Solicitation, *, now: datetime | None = None) -> SolicitationSummary:
    """The short API view used inside match lists, with the effective status."""
    return SolicitationSummary(
        id=solicitation.id,
        source=solicitation.source,
        notice_id=solicitation.notice_id,
        title=solicitation.title,
        agency=solicitation.agency,
        status=effective_status(solicitation, now=now or utcnow()),
        response_deadline=solicitation.response_deadline,
        export_control=solicitation.export_control,
        foreign_participation=solicitation.foreign_participation,
        technology_areas=solicitation.area_slugs,
    )
