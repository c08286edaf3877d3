"""The process-wide ranker: the encoder loaded once and match indexes kept in memory,
rebuilt only when the records or their vectors change."""

import threading
from collections.abc import Callable, Hashable, Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.areas.models import TechnologyArea
from app.companies.models import Company, company_technology_areas
from app.companies.service import compose_profile_text, profile_text
from app.embeddings import service as embeddings
from app.solicitations.models import Solicitation, solicitation_technology_areas
from app.solicitations.service import compose_need_text, need_text
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


def _profile_rows(
    session: Session, entity: embeddings.Entity
) -> Iterator[tuple[int, str, frozenset[str], frozenset[str]]]:
    """(id, text, areas, NAICS) of every live record, read column by column: building an index
    over 10,000 profiles must not load 10,000 full ORM objects."""
    if entity == "company":
        link, owner = company_technology_areas, company_technology_areas.c.company_id
        company_rows = session.execute(
            select(Company.id, Company.name, Company.narrative, Company.keywords, Company.naics)
            .where(Company.archived_at.is_(None))
            .order_by(Company.id)
        )
        texts = ((i, compose_profile_text(n, d, k), c) for i, n, d, k, c in company_rows)
    else:
        link, owner = solicitation_technology_areas, solicitation_technology_areas.c.solicitation_id
        need_rows = session.execute(
            select(
                Solicitation.id, Solicitation.title, Solicitation.description, Solicitation.naics
            )
            .where(Solicitation.archived_at.is_(None))
            .order_by(Solicitation.id)
        )
        texts = ((i, compose_need_text(t, d), c) for i, t, d, c in need_rows)
    areas: dict[int, set[str]] = {}
    for record_id, slug in session.execute(
        select(owner, TechnologyArea.slug)
        .select_from(link)
        .join(TechnologyArea, TechnologyArea.id == link.c.technology_area_id)
    ):
        areas.setdefault(record_id, set()).add(slug)
    for record_id, text, naics in texts:
        yield record_id, text, frozenset(areas.get(record_id, ())), frozenset(naics)


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

    def _index(self, session: Session, *, entity: embeddings.Entity) -> MatchIndex:
        """Index over every live record of `entity` that has a current vector; rebuilt when a
        vector, a record or the set of live records changes."""
        model: Any = Company if entity == "company" else Solicitation
        model_id = self.model_id
        live = session.execute(
            select(func.count(), func.max(model.updated_at)).where(model.archived_at.is_(None))
        ).one()
        signature = (embeddings.signature(session, entity=entity, model_id=model_id), tuple(live))

        def build() -> MatchIndex:
            vectors = embeddings.load(session, entity=entity, model_id=model_id)
            return MatchIndex().fit(
                [
                    Profile(id=str(i), text=text, areas=areas, naics=naics, embedding=vectors[i])
                    for i, text, areas, naics in _profile_rows(session, entity)
                    if i in vectors
                ]
            )

        return self._cached(entity, signature, build)

    def companies(self, session: Session) -> MatchIndex:
        """Index over the companies."""
        return self._index(session, entity="company")

    def solicitations(self, session: Session) -> MatchIndex:
        """Index over the solicitations."""
        return self._index(session, entity="solicitation")


@lru_cache
def get_ranker() -> RankerState:
    """The process-wide ranker state."""
    return RankerState()
