"""Embedding runs, the boundary that commits: job handlers, and the loop `kakehashi embed`
shares with them.

Each chunk is read in a read-only session (keyset pages by id, no cursor held across
commits), encoded with no transaction open, then stored in a short write transaction that
commits at once. An interrupted run keeps every committed chunk, and a second run encodes
nothing whose text has not changed."""

import logging
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tqdm import tqdm

from app.areas import classifier
from app.db import is_busy, read_only_session
from app.embeddings import service
from app.embeddings.service import EmbedReport, Encoded, Entity
from app.jobs import service as jobs
from app.jobs.service import handler
from matching.encoder import Encoder
from matching.multilingual import MultilingualEncoder

log = logging.getLogger(__name__)
CHUNK = 64
# A chunk whose write transaction finds the database busy (past the busy wait) is tried again
# this many times before the run fails (a job is then retried later by the worker).
STORE_ATTEMPTS = 3


def _store_chunk(session: Session, entity: Entity, model_id: str, encoded: list[Encoded]) -> None:
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            service.store(session, entity=entity, model_id=model_id, encoded=encoded)
            jobs.heartbeat(session)
            session.commit()
            return
        except DBAPIError as exc:
            session.rollback()
            if not is_busy(exc) or attempt == STORE_ATTEMPTS:
                raise
            log.info("database busy while storing vectors; attempt %s again", attempt + 1)
            time.sleep(attempt)


def embed_in_chunks(
    session: Session,
    *,
    entity: Entity,
    ids: Iterable[int] | None = None,
    chunk: int = CHUNK,
    progress: bool = False,
    encoder: Encoder | None = None,
) -> EmbedReport:
    """Encode the live records of `entity` whose text changed since their stored vector,
    committing `session` once per chunk."""
    encoder = encoder or service.get_encoder()
    model_id = service.space_id(encoder)
    wanted = None if ids is None else sorted(set(ids))
    report = EmbedReport()
    with read_only_session(session) as reader:
        total = len(wanted) if wanted is not None else service.live_count(reader, entity=entity)
        areas = classifier.get_classifier(reader, encoder)
        reader.rollback()
        bar = tqdm(total=total, desc=f"embedding {entity} texts", unit="text", disable=not progress)
        after = 0
        try:
            while True:
                page = service.next_page(
                    reader, entity=entity, model_id=model_id, after_id=after, size=chunk, ids=wanted
                )
                reader.rollback()  # no snapshot held while encoding
                if page is None:
                    break
                after = page.last_id
                encoded = service.encode(page.stale, encoder=encoder, areas=areas)
                if encoded:
                    _store_chunk(session, entity, model_id, encoded)
                report.encoded += len(encoded)
                report.unchanged += page.size - len(encoded)
                bar.update(page.size)
        finally:
            bar.close()
        _embed_multilingual(session, reader, entity=entity, ids=wanted, chunk=chunk, base=encoder)
    return report


def _embed_multilingual(
    session: Session,
    reader: Session,
    *,
    entity: Entity,
    ids: list[int] | None,
    chunk: int,
    base: Encoder,
) -> int:
    """The multilingual pass: e5 vectors for companies written (partly) in Japanese, and for
    solicitations once such a company exists; only for texts changed since their vector. A
    company's new multilingual vector rewrites its base vector row too, so the match index
    (which follows base vector ids) picks it up. Returns how many were encoded."""
    any_japanese = service.any_japanese_company(reader)
    reader.rollback()
    if entity == "solicitation" and not any_japanese:
        return 0
    multilingual: MultilingualEncoder | None = None
    encoded_total = 0
    after = 0
    while True:
        page = service.next_page(
            reader,
            entity=entity,
            model_id=_space_of(entity),
            after_id=after,
            size=chunk,
            ids=ids,
            wanted=lambda f: service.wants_multilingual(entity, f, any_japanese=any_japanese),
        )
        reader.rollback()
        if page is None:
            break
        after = page.last_id
        if not page.stale:
            continue
        multilingual = multilingual or service.get_multilingual()
        model_id = service.multilingual_space(multilingual, entity)
        areas = classifier.get_classifier(reader, base, multilingual)
        reader.rollback()
        encoded = service.encode_multilingual(
            page.stale, entity=entity, encoder=multilingual, base=base, areas=areas
        )
        _store_chunk(session, entity, model_id, encoded)
        if entity == "company":
            service.touch(
                session,
                entity=entity,
                model_id=service.space_id(base),
                entity_ids=[e.entity_id for e in encoded],
            )
            session.commit()
        encoded_total += len(encoded)
    if entity == "company" and encoded_total:
        # A Japanese partner is scored with the solicitations' multilingual vectors: those
        # missing (stored before any company needed them) are computed now.
        _embed_multilingual(
            session, reader, entity="solicitation", ids=None, chunk=chunk, base=base
        )
    return encoded_total


def _space_of(entity: Entity) -> str:
    """The multilingual space id without loading the model (it is loaded only when needed)."""
    return service.multilingual_space_id(entity)


def embed_all(
    session: Session, *, progress: bool = False, encoder: Encoder | None = None, chunk: int = CHUNK
) -> dict[str, EmbedReport]:
    """Bring every live company and solicitation up to date with the current model, and drop
    vectors of other models."""
    encoder = encoder or service.get_encoder()
    reports = {
        entity: embed_in_chunks(
            session, entity=entity, progress=progress, encoder=encoder, chunk=chunk
        )
        for entity in ("company", "solicitation")
    }
    reports["company"].removed = service.remove_other_models(
        session,
        model_id=service.space_id(encoder),
        keep=[
            service.multilingual_space_id("company"),
            service.multilingual_space_id("solicitation"),
        ],
    )
    session.commit()
    return reports


@handler("embed")
def embed_entity(session: Session, payload: dict[str, Any]) -> None:
    """Compute the embedding of one company or solicitation if its text changed."""
    entity = payload["entity"]
    if entity not in ("company", "solicitation"):
        raise ValueError(f"unknown entity {entity!r}")
    embed_in_chunks(session, entity=entity, ids=[int(payload["id"])])


@handler("embed_all")
def embed_everything(session: Session, _payload: dict[str, Any]) -> None:
    """Bring every record's embedding up to date (after an import)."""
    embed_all(session)
