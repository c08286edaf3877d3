"""The process-wide ranker: the encoder loaded once and match indexes kept in memory,
rebuilt only when the records or their vectors change."""

import threading
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.companies.models import Company
from app.companies.service import profile_text
from app.embeddings import service as embeddings
from app.solicitations.models import Solicitation
from app.solicitations.service import need_text
from matching.encoder import DocumentEmbedding, Encoder
from matching.ranker import MatchIndex, Profile, Query


def company_profile(company: Company, embedding: DocumentEmbedding) -> Profile:
    """A company as the matching library sees it."""
    return Profile(
        id=str(company.id),
        text=profile_text(company),
        areas=frozenset(company.area_slugs),
        naics=frozenset(company.naics),
        embedding=embedding,
    )


def solicitation_profile(solicitation: Solicitation, embedding: DocumentEmbedding) -> Profile:
    """A solicitation as the matching library sees it."""
    return Profile(
        id=str(solicitation.id),
        text=need_text(solicitation),
        areas=frozenset(solicitation.area_slugs),
        naics=frozenset(solicitation.naics),
        embedding=embedding,
    )


def as_query(profile: Profile) -> Query:
    """The same record used as the query side."""
    return Query(
        id=profile.id,
        text=profile.text,
        areas=profile.areas,
        naics=profile.naics,
        embedding=profile.embedding,
    )


class RankerState:
    """Holds the encoder and one index per direction; safe to share between threads."""

    def __init__(self, encoder_factory: Callable[[], Encoder] = embeddings.get_encoder) -> None:
        self._encoder_factory = encoder_factory
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[Hashable, MatchIndex]] = {}

    @property
    def encoder(self) -> Encoder:
        """The loaded encoder."""
        return self._encoder_factory()

    @property
    def model_id(self) -> str:
        """Identifier of the vector space in use."""
        return embeddings.space_id(self.encoder)

    def _cached(
        self, name: str, signature: Hashable, build: Callable[[], MatchIndex]
    ) -> MatchIndex:
        with self._lock:
            cached = self._indexes.get(name)
            if cached is not None and cached[0] == signature:
                return cached[1]
            index = build()
            self._indexes[name] = (signature, index)
            return index

    def _index(
        self,
        session: Session,
        *,
        entity: embeddings.Entity,
        model: Any,
        to_profile: Callable[[Any, DocumentEmbedding], Profile],
    ) -> MatchIndex:
        """Index over every live record of `model` that has a current vector; rebuilt when a
        vector, a record or the set of live records changes."""
        model_id = self.model_id
        live = session.execute(
            select(func.count(), func.max(model.updated_at)).where(model.archived_at.is_(None))
        ).one()
        signature = (embeddings.signature(session, entity=entity, model_id=model_id), tuple(live))

        def build() -> MatchIndex:
            vectors = embeddings.load(session, entity=entity, model_id=model_id)
            rows = session.scalars(
                select(model).where(model.archived_at.is_(None)).order_by(model.id)
            )
            return MatchIndex().fit([to_profile(r, vectors[r.id]) for r in rows if r.id in vectors])

        return self._cached(entity, signature, build)

    def companies(self, session: Session) -> MatchIndex:
        """Index over the companies."""
        return self._index(session, entity="company", model=Company, to_profile=company_profile)

    def solicitations(self, session: Session) -> MatchIndex:
        """Index over the solicitations."""
        return self._index(
            session, entity="solicitation", model=Solicitation, to_profile=solicitation_profile
        )


@lru_cache
def get_ranker() -> RankerState:
    """The process-wide ranker state."""
    return RankerState()
