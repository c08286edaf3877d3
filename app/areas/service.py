"""Technology areas: listing, extending, and resolving slugs given by clients."""

from collections.abc import Container, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.areas.models import TechnologyArea
from app.areas.schemas import TechnologyAreaCreate
from app.errors import Conflict, InvalidField


def get_all(session: Session) -> list[TechnologyArea]:
    """Every technology area, by slug."""
    return list(session.scalars(select(TechnologyArea).order_by(TechnologyArea.slug)))


def create(session: Session, *, data: TechnologyAreaCreate) -> TechnologyArea:
    """Add an area to the vocabulary."""
    if session.scalar(select(TechnologyArea.id).where(TechnologyArea.slug == data.slug)):
        raise Conflict(f"technology area {data.slug!r} already exists")
    area = TechnologyArea(**data.model_dump())
    session.add(area)
    session.flush()
    return area


def resolve(session: Session, *, slugs: Iterable[str], field: str) -> list[TechnologyArea]:
    """Map slugs to areas; an unknown slug is a 422 naming it."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return []
    found = {
        a.slug: a
        for a in session.scalars(select(TechnologyArea).where(TechnologyArea.slug.in_(wanted)))
    }
    _refuse_unknown(wanted, found, field)
    return [found[s] for s in wanted]


def ids_by_slug(session: Session) -> dict[str, int]:
    """Every area's id by slug, for resolving many records' slugs without a query each."""
    rows = session.execute(select(TechnologyArea.slug, TechnologyArea.id))
    return {slug: id_ for slug, id_ in rows}


def resolve_ids(known: dict[str, int], *, slugs: Iterable[str], field: str) -> list[int]:
    """`resolve` against a map from `ids_by_slug`: the ids, or the same 422 for an unknown slug."""
    wanted = list(dict.fromkeys(slugs))
    _refuse_unknown(wanted, known, field)
    return [known[s] for s in wanted]


def _refuse_unknown(wanted: list[str], found: Container[str], field: str) -> None:
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise InvalidField(field, f"unknown technology area(s): {', '.join(unknown)}")
