"""What the match indexes are built from, read column by column: the change signature of the
records and their vectors, each record's state (version, last change, vector, eligibility
facts), and the profiles of chosen records. Reads only.

The signature is exact, whatever order concurrent transactions commit in: a record's version
only grows, a replaced vector gets a new, larger id, and vetting decisions are only added, so
(count, sum of versions), (count, sum of vector ids) and (count, last id) change with every
change that matters to an index; screening hits are only added and their versions only grow,
so (count, sum of versions) of the hits changes with every screening decision. The last
`updated_at` is in it too, so that edits that leave the version alone (a vetting decision, a
screening hold) and a database rebuilt from scratch are seen."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.areas.models import TechnologyArea
from app.companies.models import Company, CompanyRole, company_technology_areas
from app.companies.service import compose_profile_text
from app.embeddings.models import Embedding
from app.embeddings.service import Entity, multilingual_space_id
from app.screening.models import ScreeningHit
from app.solicitations.models import Solicitation, solicitation_technology_areas
from app.solicitations.service import compose_need_text
from app.vetting.models import VettingDecision
from matching.encoder import DocumentEmbedding
from matching.language import profile_language
from matching.ranker import Profile
from matching.text import content_hash

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_TIME = np.iinfo(np.int64).min
ROLES: tuple[CompanyRole, ...] = tuple(CompanyRole)

Signature = tuple[int, ...]


def micros(moment: datetime | None) -> int:
    """A moment as integer microseconds since the epoch (NO_TIME for None), exactly."""
    if moment is None:
        return int(NO_TIME)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def moment(value: int) -> datetime:
    """The inverse of :func:`micros`."""
    return EPOCH + timedelta(microseconds=int(value))


def _model(entity: Entity) -> Any:
    return Company if entity == "company" else Solicitation


def signature(session: Session, *, entity: Entity, model_id: str) -> Signature:
    """Changes with every record or vector change that matters to the index of `entity`."""
    model = _model(entity)
    records = select(
        func.count().label("n"),
        func.coalesce(func.sum(model.version), 0).label("versions"),
        func.max(model.updated_at).label("last"),
    ).subquery()
    vectors = (
        select(func.count().label("n"), func.coalesce(func.sum(Embedding.id), 0).label("ids"))
        .where(Embedding.entity_type == entity, Embedding.model_id == model_id)
        .subquery()
    )
    columns: list[Any] = [
        records.c.n,
        records.c.versions,
        records.c.last,
        vectors.c.n,
        vectors.c.ids,
    ]
    query = select(*columns).select_from(records).join(vectors, true())
    if entity == "company":
        vetting = select(
            func.count().label("n"), func.coalesce(func.max(VettingDecision.id), 0).label("last")
        ).subquery()
        query = query.add_columns(vetting.c.n, vetting.c.last).join(vetting, true())
        hits = select(
            func.count().label("n"), func.coalesce(func.sum(ScreeningHit.version), 0).label("v")
        ).subquery()
        query = query.add_columns(hits.c.n, hits.c.v).join(hits, true())
    row = session.execute(query).one()
    n, versions, last, vector_n, vector_ids, *vetting_part = row
    return (
        int(n),
        int(versions),
        micros(last),
        int(vector_n),
        int(vector_ids),
        *(int(v) for v in vetting_part),
    )


def change_marker(session: Session) -> tuple[int, int] | None:
    """On SQLite, (data_version, total_changes) of the session's connection: the same pair
    at two moments means nothing was committed in between, by this connection or any other
    (in any process). None on other databases."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    version = connection.exec_driver_sql("PRAGMA data_version").scalar()
    return int(version or 0), int(connection.connection.dbapi_connection.total_changes)  # type: ignore[union-attr]


def checked(session: Session) -> dict[Any, Any]:
    """What this database connection remembers of its last signature checks."""
    marks: dict[Any, Any] = session.connection().info.setdefault("kakehashi_index_checks", {})
    return marks


@dataclass
class Known:
    """The state of every record (archived ones too) that an index reflects, sorted by id.
    Eligibility facts are for companies; solicitations leave them at zero."""

    ids: np.ndarray  # int64
    version: np.ndarray  # int64
    updated: np.ndarray  # int64 microseconds
    live: np.ndarray  # bool: not archived
    vector: np.ndarray  # int64 id of the record's embedding row, 0 for none
    role: np.ndarray  # int8 index into ROLES
    country: np.ndarray  # <U2
    vetting: np.ndarray  # <U16 stored vetting status, "" for none
    expires: np.ndarray  # int64 microseconds, NO_TIME for none
    screening: np.ndarray  # <U8 screening status ("hold", "blocked"), "" for none

    @classmethod
    def empty(cls) -> Known:
        """No records."""
        return cls.from_rows([])

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[Any, ...]]) -> Known:
        """From (id, version, updated, live, role, country, vetting, expires, screening) rows."""
        items = sorted(rows, key=lambda r: r[0])
        return cls(
            ids=np.array([r[0] for r in items], dtype=np.int64),
            version=np.array([r[1] for r in items], dtype=np.int64),
            updated=np.array([r[2] for r in items], dtype=np.int64),
            live=np.array([r[3] for r in items], dtype=bool),
            vector=np.zeros(len(items), dtype=np.int64),
            role=np.array([r[4] for r in items], dtype=np.int8),
            country=np.array([r[5] for r in items], dtype="<U2"),
            vetting=np.array([r[6] for r in items], dtype="<U16"),
            expires=np.array([r[7] for r in items], dtype=np.int64),
            screening=np.array([r[8] for r in items], dtype="<U8"),
        )

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(country code, countries, vetting code, vettings) of every record: small integers
        for the stored strings, so eligibility groups records without sorting strings."""
        countries, country = np.unique(self.country, return_inverse=True)
        vettings, vetting = np.unique(self.vetting, return_inverse=True)
        return country.reshape(-1), countries, vetting.reshape(-1), vettings

    @cached_property
    def screening_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(screening code, screening statuses) of every record, "" standing for none."""
        statuses, code = np.unique(np.append(self.screening, ""), return_inverse=True)
        return code.reshape(-1)[:-1], statuses

    def signature_part(self) -> tuple[int, int, int, int, int]:
        """(count, sum of versions, last change, vectors, sum of vector ids) as they stand."""
        vectors = self.vector[self.vector > 0]
        return (
            len(self.ids),
            int(self.version.sum()),
            int(self.updated.max()) if len(self.ids) else int(NO_TIME),
            len(vectors),
            int(vectors.sum()),
        )

    def position(self, record_ids: np.ndarray) -> np.ndarray:
        """Position of each id in these arrays, -1 where absent."""
        record_ids = np.asarray(record_ids, dtype=np.int64)
        if not len(self.ids):
            # Nothing known yet (the first records of an empty index): every id is absent.
            return np.full(len(record_ids), -1, dtype=np.int64)
        at = np.searchsorted(self.ids, record_ids)
        found = (at < len(self.ids)) & (self.ids[np.minimum(at, len(self.ids) - 1)] == record_ids)
        return np.where(found, at, -1)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by name, for saving beside the index."""
        return {f"known.{f.name}": getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray]) -> Known:
        """The arrays saved by :meth:`arrays` (copied: small, and replaced as a whole)."""
        return cls(**{f.name: np.array(arrays[f"extra.known.{f.name}"]) for f in fields(cls)})

    def merged(self, rows: Known) -> Known:
        """These records with `rows` added or replacing the same ids (vectors kept)."""
        if not len(rows):
            return self
        keep = ~np.isin(self.ids, rows.ids)
        at = self.position(rows.ids)
        vectors = np.where(at >= 0, self.vector[np.maximum(at, 0)], 0) if len(self.ids) else 0
        out = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(rows, f.name)
            if f.name == "vector":
                theirs = np.asarray(vectors, dtype=np.int64) + np.zeros(len(rows), np.int64)
            out[f.name] = np.concatenate([mine[keep], theirs])
        order = np.argsort(out["ids"], kind="stable")
        return Known(**{name: value[order] for name, value in out.items()})


def _state_query(entity: Entity) -> Any:
    if entity == "company":
        return select(
            Company.id,
            Company.version,
            Company.updated_at,
            Company.archived_at.is_(None),
            Company.role,
            Company.country,
            Company.vetting_status,
            Company.vetting_expires_at,
            Company.screening_status,
        )
    return select(
        Solicitation.id,
        Solicitation.version,
        Solicitation.updated_at,
        Solicitation.archived_at.is_(None),
    )


def _state_rows(session: Session, query: Any, entity: Entity) -> Iterator[tuple[Any, ...]]:
    for row in session.execute(query):
        if entity == "company":
            record_id, version, updated, live, role, country, vetting, expires, screening = row
            yield (
                record_id,
                version,
                micros(updated),
                bool(live),
                ROLES.index(role),
                country or "",
                vetting or "",
                micros(expires),
                screening or "",
            )
        else:
            record_id, version, updated, live = row
            yield (record_id, version, micros(updated), bool(live), 0, "", "", int(NO_TIME), "")


def records(session: Session, *, entity: Entity, changed_since: int | None = None) -> Known:
    """State of every record, or of those changed at or after `changed_since` (microseconds);
    their vectors are not filled in (see :func:`with_vectors`)."""
    model = _model(entity)
    query = _state_query(entity)
    if changed_since is not None:
        query = query.where(model.updated_at >= moment(changed_since))
    return Known.from_rows(_state_rows(session, query, entity))


def vector_ids(
    session: Session, *, entity: Entity, model_id: str, above: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(record ids, embedding row ids) of the stored vectors, or of those with an id above
    `above` (a primary-key range: cheap)."""
    if above is None:
        query = select(Embedding.entity_id, Embedding.id).where(
            Embedding.entity_type == entity, Embedding.model_id == model_id
        )
        rows: list[Any] = list(session.execute(query).all())
    else:
        # Filtered here, not in SQL: with the type and model in the WHERE clause SQLite scans
        # the (type, record, model) index instead of the primary-key range.
        recent = select(
            Embedding.entity_id, Embedding.id, Embedding.entity_type, Embedding.model_id
        ).where(Embedding.id > above)
        rows = [r for r in session.execute(recent) if r[2] == entity and r[3] == model_id]
    return (
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
    )


def with_vectors(known: Known, record_ids: np.ndarray, vector_row_ids: np.ndarray) -> Known:
    """`known` with these records' embedding ids set (ids not in `known` are ignored)."""
    at = known.position(record_ids)
    hit = at >= 0
    vector = known.vector.copy()
    vector[at[hit]] = vector_row_ids[hit]
    return Known(**{**{f.name: getattr(known, f.name) for f in fields(known)}, "vector": vector})


def _areas(session: Session, entity: Entity, ids: list[int] | None) -> dict[int, set[str]]:
    if entity == "company":
        link, owner = company_technology_areas, company_technology_areas.c.company_id
    else:
        link, owner = solicitation_technology_areas, solicitation_technology_areas.c.solicitation_id
    query = (
        select(owner, TechnologyArea.slug)
        .select_from(link)
        .join(TechnologyArea, TechnologyArea.id == link.c.technology_area_id)
    )
    if ids is not None:
        query = query.where(owner.in_(ids))
    areas: dict[int, set[str]] = {}
    for record_id, slug in session.execute(query):
        areas.setdefault(record_id, set()).add(slug)
    return areas


def _chunks(ids: list[int] | None, size: int = 500) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _multilingual(
    session: Session, entity: Entity, ids: list[int] | None
) -> dict[tuple[int, str], DocumentEmbedding]:
    """Stored multilingual (e5 passage) vectors of companies, by (record, text hash): only
    a vector of the text the record has now is used."""
    if entity != "company":
        return {}
    query = select(
        Embedding.entity_id,
        Embedding.content_hash,
        Embedding.pooled,
        Embedding.units,
        Embedding.spans,
        Embedding.dimension,
    ).where(
        Embedding.entity_type == entity,
        Embedding.model_id == multilingual_space_id("company"),
    )
    if ids is not None:
        query = query.where(Embedding.entity_id.in_(ids))
    return {
        (row[0], row[1]): DocumentEmbedding.from_payload(row[2], row[3], row[4], row[5])
        for row in session.execute(query)
    }


def profiles(
    session: Session, *, entity: Entity, model_id: str, ids: list[int] | None = None
) -> Iterator[tuple[Profile, int, int]]:
    """(profile, version, embedding row id) of the live records among `ids` (all with None)
    that have a stored vector; the version and vector id are those of the profile read."""
    model = _model(entity)
    for chunk in _chunks(ids):
        if entity == "company":
            text_query: Any = select(
                Company.id,
                Company.version,
                Company.name,
                Company.narrative,
                Company.keywords,
                Company.narrative_ja,
                Company.naics,
            )
        else:
            text_query = select(
                Solicitation.id,
                Solicitation.version,
                Solicitation.title,
                Solicitation.description,
                Solicitation.naics,
            )
        text_query = text_query.where(model.archived_at.is_(None))
        vector_query = select(
            Embedding.entity_id,
            Embedding.id,
            Embedding.pooled,
            Embedding.units,
            Embedding.spans,
            Embedding.dimension,
        ).where(Embedding.entity_type == entity, Embedding.model_id == model_id)
        if chunk is not None:
            text_query = text_query.where(model.id.in_(chunk))
            vector_query = vector_query.where(Embedding.entity_id.in_(chunk))
        areas = _areas(session, entity, chunk)
        vectors = {row[0]: row[1:] for row in session.execute(vector_query)}
        multilingual = _multilingual(session, entity, chunk)
        for row in session.execute(text_query.order_by(model.id)):
            record_id, version = row[0], row[1]
            stored = vectors.get(record_id)
            if stored is None:
                continue
            if entity == "company":
                text = compose_profile_text(row[2], row[3], row[4], row[5])
                language = profile_language([row[3], row[5], *(row[4] or ())])
            else:
                text = compose_need_text(row[2], row[3])
                language = "en"
            vector_id, pooled, units, spans, dimension = stored
            yield (
                Profile(
                    id=str(record_id),
                    text=text,
                    areas=frozenset(areas.get(record_id, ())),
                    naics=frozenset(row[-1] or ()),
                    embedding=DocumentEmbedding.from_payload(pooled, units, spans, dimension),
                    language=language,
                    multilingual=multilingual.get((record_id, content_hash(text))),
                ),
                int(version),
                int(vector_id),
            )
