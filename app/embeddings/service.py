"""The embedding store: vectors persisted per record, model and text hash; never re-encoded
while the text and the model stay the same. These functions read, encode or flush; the loops
that commit chunk by chunk are the boundary's (app/embeddings/jobs.py)."""

import logging
import threading
from collections.abc import Callable, Iterable
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
from matching.language import ProfileLanguage, profile_language
from matching.multilingual import Kind, MultilingualEncoder, space_id_for
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
        query = select(
            Company.id, Company.name, Company.narrative, Company.keywords, Company.narrative_ja
        ).where(Company.archived_at.is_(None), Company.id > after_id)
        if ids is not None:
            query = query.where(Company.id.in_(ids))
        companies = session.execute(query.order_by(Company.id).limit(size))
        return [(i, compose_profile_fields(n, d, k, j)) for i, n, d, k, j in companies]
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


def language_of(fields: FieldedText) -> ProfileLanguage:
    """The language of a record's composed fields: "en", "ja" or "en+ja"."""
    return profile_language(part.value for part in fields.parts)


def next_page(
    session: Session,
    *,
    entity: Entity,
    model_id: str,
    after_id: int = 0,
    size: int = 64,
    ids: Iterable[int] | None = None,
    wanted: Callable[[FieldedText], bool] | None = None,
) -> Page | None:
    """The next page of live records after `after_id` and which of them need a new vector
    (of those `wanted`, when given); None when there are no more. Reads only."""
    batch = _texts(
        session, entity, after_id=after_id, size=size, ids=None if ids is None else list(ids)
    )
    if not batch:
        return None
    stored = _stored_hashes(session, entity, model_id, [i for i, _ in batch])
    stale = []
    for entity_id, fields in batch:
        if wanted is not None and not wanted(fields):
            continue
        text_hash = content_hash(fields.text)
        if stored.get(entity_id) != text_hash:
            stale.append(Pending(entity_id, fields, text_hash))
    return Page(last_id=batch[-1][0], size=len(batch), stale=stale)


def encode(
    pending: list[Pending], *, encoder: Encoder, areas: AreaClassifier | None = None
) -> list[Encoded]:
    """Encode the texts (and predict their areas): CPU work, done with no transaction open.
    Japanese texts get their areas from the multilingual pass (`encode_multilingual`)."""
    if not pending:
        return []
    documents = encoder.encode_documents([p.fields for p in pending])
    return [
        Encoded(
            entity_id=p.entity_id,
            text_hash=p.text_hash,
            document=document,
            areas=areas.predict(p.text, document)
            if areas is not None and language_of(p.fields) != "ja"
            else [],
        )
        for p, document in zip(pending, documents, strict=True)
    ]


@lru_cache
def _load_multilingual() -> MultilingualEncoder:
    return MultilingualEncoder()


def get_multilingual() -> MultilingualEncoder:
    """The process-wide multilingual encoder (multilingual-e5-small), loaded once."""
    with _encoder_lock:
        return _load_multilingual()


def multilingual_space(encoder: MultilingualEncoder, entity: Entity) -> str:
    """Model id of the multilingual vectors of `entity`: companies are e5 passages,
    solicitations e5 queries."""
    return encoder.space_id("passage" if entity == "company" else "query")


def multilingual_space_id(entity: Entity) -> str:
    """The same id without loading the model (read from the package: see
    matching.multilingual.space_id_for)."""
    return space_id_for("passage" if entity == "company" else "query")


def wants_multilingual(entity: Entity, fields: FieldedText, *, any_japanese: bool) -> bool:
    """Whether a record needs a multilingual vector: a company written (partly) in Japanese;
    a solicitation once some company is."""
    if entity == "company":
        return language_of(fields) != "en"
    return any_japanese


def any_japanese_company(session: Session) -> bool:
    """Whether some live company has a Japanese text (and so needs cross-lingual matching)."""
    # The language column is the importer's word; a stored multilingual company vector is the
    # embedding run's (it read the text).
    found = session.scalar(
        select(Company.id)
        .where(
            Company.archived_at.is_(None),
            (Company.profile_language != "en") | (Company.narrative_ja != ""),
        )
        .limit(1)
    )
    if found is not None:
        return True
    vector = session.scalar(
        select(Embedding.id)
        .where(
            Embedding.entity_type == "company",
            Embedding.model_id == multilingual_space_id("company"),
        )
        .limit(1)
    )
    return vector is not None


def encode_multilingual(
    pending: list[Pending],
    *,
    entity: Entity,
    encoder: MultilingualEncoder,
    base: Encoder,
    areas: AreaClassifier | None = None,
) -> list[Encoded]:
    """Multilingual vectors of the texts (and the areas of Japanese ones, from them)."""
    if not pending:
        return []
    kind: Kind = "passage" if entity == "company" else "query"
    documents = encoder.encode_documents([p.fields for p in pending], kind=kind)
    empty = DocumentEmbedding.empty(base.dimension)
    return [
        Encoded(
            entity_id=p.entity_id,
            text_hash=p.text_hash,
            document=document,
            areas=areas.predict(p.text, empty, document)
            if areas is not None and language_of(p.fields) == "ja"
            else [],
        )
        for p, document in zip(pending, documents, strict=True)
    ]


def touch(session: Session, *, entity: Entity, model_id: str, entity_ids: list[int]) -> None:
    """Write the stored vectors of these records again, unchanged, under new row ids: the
    match index notices a record by its vector's id, and a multilingual vector added beside
    an unchanged one must reach it too; flushes."""
    rows = session.scalars(
        select(Embedding).where(
            Embedding.entity_type == entity,
            Embedding.model_id == model_id,
            Embedding.entity_id.in_(entity_ids),
        )
    ).all()
    for row in rows:
        document = DocumentEmbedding.from_payload(row.pooled, row.units, row.spans, row.dimension)
        _store(session, entity, row.entity_id, row.content_hash, model_id, document)
    session.flush()


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


def remove_other_models(session: Session, *, model_id: str, keep: Iterable[str] = ()) -> int:
    """Drop the vectors of other models (or other ways of splitting texts) than `model_id`
    and `keep`; flushes."""
    removed = session.execute(delete(Embedding).where(Embedding.model_id.not_in([model_id, *keep])))
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
