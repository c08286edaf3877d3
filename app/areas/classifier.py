"""Automatic technology areas for records that have none, from their embedding and keywords.
A person's choice (a locked field) always wins."""

import threading
from typing import Any

from sqlalchemy.orm import Session

from app.areas import service as areas_service
from app.audit.models import AuditEvent
from matching.classify import DEFAULT_AREAS, AreaClassifier, AreaDefinition
from matching.encoder import DocumentEmbedding, Encoder

_lock = threading.Lock()
_cache: dict[tuple[str, tuple[str, ...]], AreaClassifier] = {}
KNOWN = {area.slug: area for area in DEFAULT_AREAS}


def get_classifier(session: Session, encoder: Encoder) -> AreaClassifier:
    """A classifier over the current vocabulary, fitted once per vocabulary and model."""
    areas = areas_service.get_all(session)
    key = (encoder.model_id, tuple(a.slug for a in areas))
    with _lock:
        if key not in _cache:
            definitions = [
                KNOWN.get(a.slug)
                or AreaDefinition(
                    a.slug, a.label_en, a.description or a.label_en, (a.label_en.lower(),)
                )
                for a in areas
            ]
            _cache[key] = AreaClassifier().fit(definitions, encoder)
        return _cache[key]


def assign_if_missing(
    session: Session,
    *,
    record: Any,
    entity_type: str,
    text: str,
    embedding: DocumentEmbedding,
    encoder: Encoder,
) -> bool:
    """Give a record without technology areas the predicted ones; True when it changed."""
    if record.technology_areas or "technology_areas" in record.locked_fields:
        return False
    predicted = get_classifier(session, encoder).predict(text, embedding)
    if not predicted:
        return False
    record.technology_areas = areas_service.resolve(
        session, slugs=[slug for slug, _ in predicted], field="technology_areas"
    )
    record.suggested_areas = [
        {"slug": slug, "score": round(float(score), 4)} for slug, score in predicted
    ]
    session.add(
        AuditEvent(
            organization_id=None,
            actor="system:classifier",
            action="classify",
            entity_type=entity_type,
            entity_id=record.id,
            changes={"technology_areas": record.suggested_areas},
        )
    )
    return True
