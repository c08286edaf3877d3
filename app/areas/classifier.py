"""Automatic technology areas for records that have none, from their embedding and keywords.
A person's choice (a locked field) always wins."""

import threading
from typing import Any

from sqlalchemy import Column, Table, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.areas import service as areas_service
from app.audit.models import AuditEvent
from app.companies.models import Company, company_technology_areas
from app.solicitations.models import Solicitation, solicitation_technology_areas
from matching.classify import DEFAULT_AREAS, AreaClassifier, AreaDefinition
from matching.encoder import Encoder
from matching.multilingual import MultilingualEncoder

_lock = threading.Lock()
_cache: dict[tuple[str, str, tuple[str, ...]], AreaClassifier] = {}
KNOWN = {area.slug: area for area in DEFAULT_AREAS}


def get_classifier(
    session: Session, encoder: Encoder, multilingual: MultilingualEncoder | None = None
) -> AreaClassifier:
    """A classifier over the current vocabulary, fitted once per vocabulary and model (with
    `multilingual`, it also classifies Japanese texts)."""
    areas = areas_service.get_all(session)
    key = (
        encoder.model_id,
        multilingual.model_id if multilingual is not None else "",
        tuple(a.slug for a in areas),
    )
    with _lock:
        if key not in _cache:
            definitions = [
                KNOWN.get(a.slug)
                or AreaDefinition(
                    a.slug, a.label_en, a.description or a.label_en, (a.label_en.lower(),)
                )
                for a in areas
            ]
            _cache[key] = AreaClassifier().fit(definitions, encoder, multilingual)
        return _cache[key]


def assign_if_missing(
    session: Session, *, entity_type: str, entity_id: int, predicted: list[tuple[str, float]]
) -> bool:
    """Give a record without technology areas the predicted ones; True when it changed.

    Written with plain UPDATE/INSERT statements, not through the ORM: automatic areas are not
    an edit, so they leave the record's version (its ETag) alone. The audit row says what the
    classifier did."""
    if not predicted:
        return False
    model, link, owner = _tables(entity_type)
    state = session.execute(
        select(model.c.locked_fields, model.c.archived_at).where(model.c.id == entity_id)
    ).one_or_none()
    if (
        state is None
        or state.archived_at is not None
        or "technology_areas" in (state.locked_fields or [])
    ):
        return False
    has_areas = session.scalar(select(owner).where(owner == entity_id).limit(1))
    if has_areas is not None:
        return False
    areas = areas_service.resolve(
        session, slugs=[slug for slug, _ in predicted], field="technology_areas"
    )
    suggested = [{"slug": slug, "score": round(float(score), 4)} for slug, score in predicted]
    session.execute(
        insert(link), [{owner.key: entity_id, "technology_area_id": a.id} for a in areas]
    )
    session.execute(update(model).where(model.c.id == entity_id).values(suggested_areas=suggested))
    session.add(
        AuditEvent(
            organization_id=None,
            actor="system:classifier",
            action="classify",
            entity_type=entity_type,
            entity_id=entity_id,
            changes={"technology_areas": suggested},
        )
    )
    # A copy of the record already loaded in this session must not keep the old areas.
    loaded = session.identity_map.get(
        identity_key(Company if entity_type == "company" else Solicitation, entity_id)
    )
    if loaded is not None:
        session.expire(loaded, ["technology_areas", "suggested_areas"])
    return True


def _tables(entity_type: str) -> tuple[Table, Table, Column[Any]]:
    """The record's table, its area link table and the link's column naming the record."""
    if entity_type == "company":
        return Company.__table__, company_technology_areas, company_technology_areas.c.company_id  # type: ignore[return-value]
    if entity_type == "solicitation":
        link = solicitation_technology_areas
        return Solicitation.__table__, link, link.c.solicitation_id  # type: ignore[return-value]
    raise ValueError(f"unknown entity {entity_type!r}")
