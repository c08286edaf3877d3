"""The embedding store: vectors persisted per record, model and text hash; never re-encoded
while the text and the model stay the same. These functions read, encode or flush; the loops
that commit chunk by chunk are the boundary's (app/embeddings/jobs.py)."""

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.areas import classifier
from app.companies.models import Company
from app.companies.service import compose_profile_fields
from app.config import get_settings
from app.embeddings.models import Embedding
from app.solicitations.models import Solicitation
from app.solicitations.service import compose_need_fields
from matching.classify import AreaClassifier
from matching.encoder import DocumentEmbedding, Encoder
from matching.text import FieldedText, content_hash

log = logging.getLogger(__name__)
Entity = Literal["company", "solicitation"]


_encoder_lock = threading.Lock()


@lru_cache
def _load_encoder() -> Encoder:
    settings = get_settings()
    return Encoder(settings.model_path or None, batch_size=settings.embedding_batch_size)


def get_encoder() -> Encoder:
    """The process-wide encoder: the model is loaded once, even when threads race for it."""
    with _encoder_lock:
        return _load_encoder()


def encoder_loaded() -> bool:
    """Whether the model is in memory yet."""
    return _load_encoder.cache_info().currsize > 0


def space_id(encoder: Encoder) -> str:
    """Identifies the vector space: the model plus how documents are split and pooled."""
    return f"{encoder.cache_namespace}-{encoder.pooling}"


@dataclass
class EmbedReport:
    """What an embedding run did."""

    encoded: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(frozen=True)
class Pending:
    """A record whose stored vector is missing or was computed from another text."""

    entity_id: int
    fields: FieldedText
    text_hash: str

    @property
    def text(self) -> str:
        """The composed text the vector is computed from."""
        return self.fields.text


@dataclass(frozen=True)
class Page:
    """One keyset page of live records: the last id read, how many were read, which are stale."""

    last_id: int
    size: int
    stale: list[Pending]


@dataclass(frozen=True)
class Encoded:
    """A record's new vector and the areas the classifier predicts for it."""

    entity_id: int
    text_hash: str
    document: DocumentEmbedding
    areas: list[tuple[str, float]]


def _model(entity: Entity) -> type[Company] | type[Solicitation]:
    return Company if entity == "company" else Solicitation


def live_count(session: Session, *, entity: Entity) -> int:
    """Number of live records of `entity`."""
    model = _model(entity)
    return int(session.scalar(select(func.count()).where(model.archived_at.is_(None))) or 0)


def _texts(
    session: Session, entity: Entity, *, after_id: int, size: int, ids: list[int] | None
) -> list[tuple[int, FieldedText]]:
    """(id, fields) of up to `size` live records with id > after_id, by id: keyset pages read
    columns only and hold no cursor open, so a commit between pages closes nothing."""
    if entity == "company":
        query = select(Company.id, Company.name, Company.narrative, Company.keywords).where(
            Company.archived_at.is_(None), Company.id > after_id
        )
        if ids is not None:
            query = query.where(Company.id.in_(ids))
        companies = session.execute(query.order_by(Company.id).limit(size))
        return [(i, compose_profile_fields(n, d, k)) for i, n, d, k in companies]
    needs = select(Solicitation.id, Solicitation.title, Solicitation.description).where(
        Solicitation.archived_at.is_(None), Solicitation.id > after_id
    )
    if ids is not None:
        needs = needs.where(Solicitation.id.in_(ids))
    rows = session.execute(needs.order_by(Solicitation.id).limit(size))
    return [(i, compose_need_fields(t, d)) for i, t, d in rows]


def _stored_hashes(
    session: Session, entity: Entity, model_id: str, ids: list[int]
) -> dict[int, str]:
    rows = session.execute(
        select(Embedding.entity_id, Embedding.content_hash).where(
            Embedding.entity_type == entity,
            Embedding.model_id == model_id,
            Embedding.entity_id.in_(ids),
        )
    )
    return {entity_id: text_hash for entity_id, text_hash in rows}


def next_page(
    session: Session,
    *,
    entity: Entity,
    model_id: str,
    after_id: int = 0,
    size: int = 64,
    ids: Iterable[int] | None = None,
) -> Page | None:
    """The next page of live records after `after_id` and which of them need a new vector;
    None when there are no more. Reads only."""
    batch = _texts(
        session, entity, after_id=after_id, size=size, ids=None if ids is None else list(ids)
    )
    if not batch:
        return None
    stored = _stored_hashes(session, entity, model_id, [i for i, _ in batch])
    stale = []
    for entity_id, fields in batch:
        text_hash = content_hash(fields.text)
        if stored.get(entity_id) != text_hash:
            stale.append(Pending(entity_id, fields, text_hash))
    return Page(last_id=batch[-1][0], size=len(batch), stale=stale)


def encode(
    pending: list[Pending], *, encoder: Encoder, areas: AreaClassifier | None = None
) -> list[Encoded]:
    """Encode the texts (and predict their areas): CPU work, done with no transaction open."""
    if not pending:
        return []
    documents = encoder.encode_documents([p.fields for p in pending])
    return [
        Encoded(
            entity_id=p.entity_id,
            text_hash=p.text_hash,
            document=document,
            areas=areas.predict(p.text, document) if areas is not None else [],
        )
        for p, document in zip(pending, documents, strict=True)
    ]


def _store(
    session: Session,
    entity: Entity,
    entity_id: int,
    text_hash: str,
    model_id: str,
    document: DocumentEmbedding,
) -> None:
    pooled, units, spans = document.to_payload()
    session.execute(
        delete(Embedding).where(
            Embedding.entity_type == entity,
            Embedding.entity_id == entity_id,
            Embedding.model_id == model_id,
        )
    )
    session.add(
        Embedding(
            entity_type=entity,
            entity_id=entity_id,
            model_id=model_id,
            content_hash=text_hash,
            dimension=document.dimension,
            pooled=pooled,
            units=units,
            spans=spans,
        )
    )


def store(session: Session, *, entity: Entity, model_id: str, encoded: list[Encoded]) -> None:
    """Write the vectors, and the predicted areas of records that still have none; flushes.
    Quick: everything slow happened in `encode`."""
    for item in encoded:
        _store(session, entity, item.entity_id, item.text_hash, model_id, item.document)
        classifier.assign_if_missing(
            session, entity_type=entity, entity_id=item.entity_id, predicted=item.areas
        )
    session.flush()


def remove_other_models(session: Session, *, model_id: str) -> int:
    """Drop the vectors of other models (or other ways of splitting texts); flushes."""
    removed = session.execute(delete(Embedding).where(Embedding.model_id != model_id))
    return int(removed.rowcount)  # type: ignore[attr-defined]


def current_vector(
    session: Session, *, entity: Entity, model_id: str, entity_id: int, text: str
) -> DocumentEmbedding | None:
    """The stored vector of a record if it was computed from exactly this text."""
    row = session.scalar(
        select(Embedding).where(
            Embedding.entity_type == entity,
            Embedding.entity_id == entity_id,
            Embedding.model_id == model_id,
            Embedding.content_hash == content_hash(text),
        )
    )
    if row is None:
        return None
    return DocumentEmbedding.from_payload(row.pooled, row.units, row.spans, row.dimension)


def load(
    session: Session, *, entity: Entity, model_id: str, ids: Iterable[int] | None = None
) -> dict[int, DocumentEmbedding]:
    """Stored vectors of one entity type for one model."""
    query = select(Embedding).where(Embedding.entity_type == entity, Embedding.model_id == model_id)
    if ids is not None:
        query = query.where(Embedding.entity_id.in_(list(ids)))
    return {
        row.entity_id: DocumentEmbedding.from_payload(
            row.pooled, row.units, row.spans, row.dimension
        )
        for row in session.scalars(query)
    }
