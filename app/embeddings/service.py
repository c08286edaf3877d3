"""The embedding store: vectors persisted per record, model and text hash; never re-encoded
while the text and the model stay the same."""

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from tqdm import tqdm

from app.areas import classifier
from app.companies.models import Company
from app.companies.service import profile_text
from app.config import get_settings
from app.embeddings.models import Embedding
from app.jobs import service as jobs
from app.solicitations.models import Solicitation
from app.solicitations.service import need_text
from matching.encoder import DocumentEmbedding, Encoder
from matching.text import content_hash

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


def _texts(
    session: Session, entity: Entity, ids: Iterable[int] | None = None
) -> Iterator[tuple[int, str]]:
    if entity == "company":
        companies = select(Company).where(Company.archived_at.is_(None)).order_by(Company.id)
        if ids is not None:
            companies = companies.where(Company.id.in_(list(ids)))
        for company in session.scalars(companies.execution_options(yield_per=500)):
            yield company.id, profile_text(company)
        return
    needs = select(Solicitation).where(Solicitation.archived_at.is_(None)).order_by(Solicitation.id)
    if ids is not None:
        needs = needs.where(Solicitation.id.in_(list(ids)))
    for solicitation in session.scalars(needs.execution_options(yield_per=500)):
        yield solicitation.id, need_text(solicitation)


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


def embed_records(
    session: Session,
    *,
    entity: Entity,
    ids: Iterable[int] | None = None,
    chunk: int = 64,
    progress: bool = False,
    encoder: Encoder | None = None,
) -> EmbedReport:
    """Encode the records whose text changed since their stored vector; commit per chunk so an
    interrupted run resumes where it stopped."""
    encoder = encoder or get_encoder()
    model_id = space_id(encoder)
    report = EmbedReport()
    records = _texts(session, entity, ids)
    total = None
    if ids is None:
        archived = Company.archived_at if entity == "company" else Solicitation.archived_at
        total = session.scalar(select(func.count()).where(archived.is_(None)))
    bar = tqdm(total=total, desc=f"embedding {entity} texts", unit="text", disable=not progress)
    while batch := list(islice(records, chunk)):
        stored = _stored_hashes(session, entity, model_id, [i for i, _ in batch])
        stale = [
            (i, text, content_hash(text))
            for i, text in batch
            if stored.get(i) != content_hash(text)
        ]
        report.unchanged += len(batch) - len(stale)
        if stale:
            documents = encoder.encode_documents([text for _, text, _ in stale])
            for (entity_id, text, text_hash), document in zip(stale, documents, strict=True):
                _store(session, entity, entity_id, text_hash, model_id, document)
                record = session.get(Company if entity == "company" else Solicitation, entity_id)
                classifier.assign_if_missing(
                    session,
                    record=record,
                    entity_type=entity,
                    text=text,
                    embedding=document,
                    encoder=encoder,
                )
            report.encoded += len(stale)
            jobs.heartbeat(session)
            session.commit()
        bar.update(len(batch))
    bar.close()
    return report


def embed_all(
    session: Session, *, progress: bool = False, encoder: Encoder | None = None
) -> dict[str, EmbedReport]:
    """Bring every live company and solicitation up to date with the current model, and drop
    vectors of other models."""
    encoder = encoder or get_encoder()
    reports = {
        entity: embed_records(session, entity=entity, progress=progress, encoder=encoder)
        for entity in ("company", "solicitation")
    }
    removed = session.execute(delete(Embedding).where(Embedding.model_id != space_id(encoder)))
    session.commit()
    reports["company"].removed = removed.rowcount  # type: ignore[attr-defined]
    return reports


def embed_one(session: Session, *, entity: str, entity_id: int) -> None:
    """Job handler body: (re)embed one record if its text changed."""
    if entity not in ("company", "solicitation"):
        raise ValueError(f"unknown entity {entity!r}")
    embed_records(session, entity=entity, ids=[entity_id])  # type: ignore[arg-type]


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


def signature(session: Session, *, entity: Entity, model_id: str) -> tuple[int, int]:
    """Changes whenever a vector of this entity type is added or replaced."""
    count, last = session.execute(
        select(func.count(), func.max(Embedding.id)).where(
            Embedding.entity_type == entity, Embedding.model_id == model_id
        )
    ).one()
    return int(count), int(last or 0)
