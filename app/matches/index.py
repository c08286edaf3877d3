"""The process-wide ranker: the encoder loaded once, and one match index per direction kept
in files that every API process maps (shared pages), each brought up to date change by change.

Per request, one query reads the change signature of the records and their vectors
(app/matches/sync.py; on SQLite not even that when nothing was committed since). When it
differs from the one the index reflects, the records changed since then are read and only they
are re-indexed in place (``MatchIndex.upsert`` / ``remove``): a profile change costs
milliseconds, not a rebuild. The index is rebuilt from scratch only when there is none yet (or
the saved one is unusable), when one sync finds too many changes, or in the background once
enough changes have piled up to refit the lexical vocabulary; the rebuilt version is published
under the cache directory and the other processes switch to it at their next request. Reads
never write to the database; the index files are written atomically
(matching/store.py), one builder at a time."""

import hashlib
import logging
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.companies.models import Company
from app.companies.service import profile_text
from app.config import get_settings
from app.db import READ_ONLY, build_engine, read_only_session
from app.embeddings import service as embeddings
from app.matches import sync
from app.matches.sync import Known, Signature
from app.solicitations.models import Solicitation
from app.solicitations.service import need_text
from matching.encoder import DocumentEmbedding, Encoder
from matching.language import profile_language
from matching.ranker import MatchIndex, Profile, Query
from matching.store import StoreError, current_version, exclusive

log = logging.getLogger(__name__)

# On PostgreSQL a sync re-reads the records changed this long before the newest change it has
# seen, so a transaction that stamped a record earlier but committed later is still found; the
# exact signature catches whatever falls outside (then every record's state is compared). SQLite
# writers hold the write lock from the start of their transaction, so they stamp in the order
# they commit and no margin is needed.
CHANGE_MARGIN_US = 5_000_000
# Likewise for vectors: ids are handed out before commit, so re-read this many below the last.
VECTOR_MARGIN = 256


def refit_after(n: int) -> int:
    """Changed records since the saved version after which it is rebuilt in the background
    (re-fitting the lexical vocabulary and IDF, which updates leave as they were)."""
    # A small index refits soon (it costs little, and its vocabulary may be far from complete).
    return max(8, n // 20)


def rebuild_over(n: int) -> int:
    """Changed records in one sync beyond which a rebuild is as quick as updating."""
    return max(2000, n // 5)


def company_profile(
    company: Company,
    embedding: DocumentEmbedding,
    multilingual: DocumentEmbedding | None = None,
) -> Profile:
    """A company as the matching library sees it."""
    return Profile(
        id=str(company.id),
        text=profile_text(company),
        areas=frozenset(company.area_slugs),
        naics=frozenset(company.naics),
        embedding=embedding,
        language=profile_language([company.narrative, company.narrative_ja, *company.keywords]),
        multilingual=multilingual,
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


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before readers that come later."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold a shared lock."""
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    def writers_waiting(self) -> int:
        """How many writers wait for the readers to finish."""
        with self._cond:
            return self._waiting

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the exclusive lock."""
        with self._cond:
            self._waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class IndexView:
    """One index as a request sees it: unchanged while the request holds it."""

    index: MatchIndex
    known: Known
    rows: np.ndarray  # index row of each record in `known`, -1 when not indexed

    def known_of(self, record_id: str) -> int:
        """Position of a record in `known`."""
        return int(self.known.position(np.array([int(record_id)]))[0])


def _record_ids(index: MatchIndex) -> np.ndarray:
    """The record id of each index row."""
    return np.fromiter((int(i) for i in index.ids_), dtype=np.int64, count=len(index))


def _index_rows(ids: np.ndarray, known: Known) -> np.ndarray:
    """Index row of each record in `known` (-1 when not indexed), from each row's record id."""
    at = known.position(ids)
    rows = np.full(len(known), -1, dtype=np.int64)
    rows[at[at >= 0]] = np.flatnonzero(at >= 0)
    return rows


def _newer(seen: Signature, synced: Signature) -> bool:
    """Whether `seen` is the signature of a state no older than `synced`'s: every part of a
    signature only grows (records are archived, never deleted)."""
    return len(seen) == len(synced) and all(a >= b for a, b in zip(seen, synced, strict=True))


def _changed(old: Known, new: Known) -> np.ndarray:
    """Ids of records added, removed or changed (state or vector) between the two."""
    at = old.position(new.ids)
    seen = at >= 0
    differs = ~seen
    a = at[seen]
    differs[seen] = (
        (old.version[a] != new.version[seen])
        | (old.updated[a] != new.updated[seen])
        | (old.live[a] != new.live[seen])
        | (old.vector[a] != new.vector[seen])
    )
    gone = old.ids[~np.isin(old.ids, new.ids)]
    return np.concatenate([new.ids[differs], gone])


def _went_back(old: Known, new: Known) -> bool:
    """Whether some record is older than the index has seen it: a database restored or
    recreated under the same address, which no update can follow."""
    at = old.position(new.ids)
    seen = at >= 0
    a = at[seen]
    return bool(
        (old.version[a] > new.version[seen]).any() or (old.updated[a] > new.updated[seen]).any()
    )


@contextmanager
def _snapshot(like: Session | Engine) -> Iterator[Session]:
    """A fresh read-only session whose reads all see one snapshot (on PostgreSQL, REPEATABLE
    READ; a SQLite transaction is one snapshot already)."""
    if isinstance(like, Engine):
        session = Session(bind=like.execution_options(**{READ_ONLY: True}))
        try:
            _repeatable(session)
            yield session
        finally:
            session.close()
        return
    with read_only_session(like) as session:
        _repeatable(session)
        yield session


def _repeatable(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


class _IndexState:
    """One index of one database and vector space, in this process."""

    def __init__(self, root: Path, entity: embeddings.Entity, model_id: str) -> None:
        self.root = root
        self.entity: embeddings.Entity = entity
        self.model_id = model_id
        self.sync_lock = threading.Lock()  # one sync or build at a time
        self.lock = ReadWriteLock()  # readers rank; a sync changes the index in place
        self.index: MatchIndex | None = None
        self.known = Known.empty()
        self.rows = np.zeros(0, dtype=np.int64)
        self.index_ids = np.zeros(0, dtype=np.int64)  # record id of each index row
        self.version: str | None = None  # the saved version in use; None: in memory only
        self.synced: Signature | None = None
        self.changed = 0  # records changed since the saved version
        self.refitting = False
        self.rejected: set[str] = set()  # saved versions found unusable


class RankerState:
    """Holds the encoder and one index per direction; safe to share between threads.

    ``builds``, ``loads`` and ``updates`` count, per entity, the full builds, the saved
    versions opened and the incremental syncs of this process."""

    def __init__(
        self,
        encoder_factory: Callable[[], Encoder] = embeddings.get_encoder,
        *,
        cache_dir: Path | None = None,
        background: bool = True,
    ) -> None:
        self._encoder_factory = encoder_factory
        self._cache_dir = cache_dir
        self._background = background
        self._lock = threading.Lock()
        self._states: dict[Path, _IndexState] = {}
        self._refits: list[threading.Thread] = []
        self.builds: Counter[str] = Counter()
        self.loads: Counter[str] = Counter()
        self.updates: Counter[str] = Counter()

    @property
    def encoder(self) -> Encoder:
        """The loaded encoder."""
        return self._encoder_factory()

    @property
    def model_id(self) -> str:
        """Identifier of the vector space in use."""
        return embeddings.space_id(self.encoder)

    def index_root(self, session: Session, *, entity: embeddings.Entity) -> Path:
        """Directory of the saved versions of one index: per database, vector space, entity."""
        engine = _engine(session)
        address = engine.url.render_as_string(hide_password=True)
        database = f"{engine.dialect.name}-{hashlib.sha256(address.encode()).hexdigest()[:12]}"
        space = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in self.model_id)
        cache_dir = self._cache_dir or get_settings().cache_dir
        return Path(cache_dir) / "match-index" / database / space / entity

    def _state(self, session: Session, entity: embeddings.Entity) -> _IndexState:
        root = self.index_root(session, entity=entity)
        with self._lock:
            state = self._states.get(root)
            if state is None:
                state = self._states[root] = _IndexState(root, entity, self.model_id)
            return state

    @contextmanager
    def read(self, session: Session, *, entity: embeddings.Entity) -> Iterator[IndexView]:
        """The current index over `entity`, held unchanged until the block ends."""
        state = self._state(session, entity)
        self._refresh(session, state)
        with state.lock.read():
            assert state.index is not None
            yield IndexView(state.index, state.known, state.rows)

    def companies(self, session: Session) -> MatchIndex:
        """The current index over the companies (not held: for single-threaded callers)."""
        state = self._state(session, "company")
        self._refresh(session, state)
        assert state.index is not None
        return state.index

    def solicitations(self, session: Session) -> MatchIndex:
        """The current index over the solicitations (not held: for single-threaded callers)."""
        state = self._state(session, "solicitation")
        self._refresh(session, state)
        assert state.index is not None
        return state.index

    # -- keeping an index current ---------------------------------------------------------

    def _refresh(self, session: Session, state: _IndexState) -> None:
        """Bring the index up to date with what `session` sees (or newer)."""
        published = current_version(state.root)
        current = state.index is not None and published in (None, state.version, *state.rejected)
        # On SQLite, when nothing at all was committed since this connection last found the
        # index current, it still is: skip the signature query.
        marker = sync.change_marker(session)
        checks = sync.checked(session)
        if current and marker is not None and checks.get(state.root) == (marker, state.synced):
            return
        seen = sync.signature(session, entity=state.entity, model_id=state.model_id)
        if current and seen == state.synced:
            checks[state.root] = (marker, seen)
            return
        with state.sync_lock:
            published = current_version(state.root)
            fresh = published is not None and published not in (state.version, *state.rejected)
            if fresh and published is not None and not self._load(state, published):
                state.rejected.add(published)
                if state.index is not None:
                    self._refit_later(_engine(session), state)
            if state.index is None:
                self._build(session, state)
            # A SQLite transaction is one snapshot: when it is no older than the index, the
            # changes are read in it. Otherwise (PostgreSQL's statements each see their own)
            # a fresh snapshot is taken.
            mine = marker is not None and state.synced is not None and _newer(seen, state.synced)
            self._sync(session, state, seen if mine else None)
        if state.synced == seen:
            checks[state.root] = (marker, seen)

    def _load(self, state: _IndexState, name: str) -> bool:
        """Switch to a saved version; False (and a warning) when it is unusable."""
        try:
            index, version = MatchIndex.open(state.root, name)
            known = Known.from_saved(version.arrays)
            synced = tuple(int(v) for v in version.meta["extra"]["signature"])
        except (StoreError, KeyError, TypeError, ValueError, OSError) as exc:
            log.warning(
                "match index %s/%s is unusable, building it again: %s", state.root, name, exc
            )
            return False
        ids = _record_ids(index)
        rows = _index_rows(ids, known)
        # The first update otherwise pays for setting up the text analysis.
        index.lexical_.transform(["warm up"])
        with state.lock.write():
            state.index, state.known, state.rows, state.index_ids = index, known, rows, ids
            state.version, state.synced, state.changed = name, synced, 0
        self.loads[state.entity] += 1
        return True

    def _fit_and_save(self, like: Session | Engine, state: _IndexState, records: int) -> str:
        """Build the index and publish it; returns the version's name. Large indexes are
        built in a child process: this one only maps the result."""
        engine = like if isinstance(like, Engine) else _engine(like)
        self.builds[state.entity] += 1
        if records < get_settings().index_build_child_from:
            index, known, seen = fit(engine, entity=state.entity, model_id=state.model_id)
            return index.save(state.root, extra=known.arrays(), meta={"signature": list(seen)})
        address = engine.url.render_as_string(hide_password=False)
        with multiprocessing.get_context("spawn").Pool(1) as child:
            name: str = child.apply(
                build_and_save, (address, str(state.root), state.entity, state.model_id)
            )
        return name

    def _build(self, session: Session, state: _IndexState) -> None:
        """Build the index from scratch and publish it (unless another process just did)."""
        records = sync.signature(session, entity=state.entity, model_id=state.model_id)[0]
        try:
            with exclusive(state.root):
                published = current_version(state.root)
                if published is not None and published not in (state.version, *state.rejected):
                    if self._load(state, published):
                        return
                    state.rejected.add(published)
                name = self._fit_and_save(session, state, records)
                if self._load(state, name):
                    return
                state.rejected.add(name)
        except OSError as exc:
            log.warning("cannot save the match index under %s: %s", state.root, exc)
        # Served from this process's memory: not shared, but correct.
        index, known, seen = fit(_engine(session), entity=state.entity, model_id=state.model_id)
        self.builds[state.entity] += 1
        ids = _record_ids(index)
        rows = _index_rows(ids, known)
        with state.lock.write():
            state.index, state.known, state.rows, state.index_ids = index, known, rows, ids
            state.version, state.synced, state.changed = None, seen, 0

    def _sync(self, session: Session, state: _IndexState, seen: Signature | None) -> None:
        """Re-index the records changed since the index's signature, in place: read in
        `session` when `seen` is its signature, else in a fresh snapshot."""
        assert state.index is not None
        with nullcontext(session) if seen is not None else _snapshot(session) as reader:
            if seen is None:
                seen = sync.signature(reader, entity=state.entity, model_id=state.model_id)
            if seen == state.synced:
                return
            old = state.known
            margin = 0 if reader.get_bind().dialect.name == "sqlite" else CHANGE_MARGIN_US
            since = int(old.updated.max()) - margin if len(old) else None
            last_vector = int(old.vector.max()) if len(old) else 0
            known = sync.with_vectors(
                old.merged(sync.records(reader, entity=state.entity, changed_since=since)),
                *sync.vector_ids(
                    reader,
                    entity=state.entity,
                    model_id=state.model_id,
                    above=max(0, last_vector - VECTOR_MARGIN),
                ),
            )
            if known.signature_part() != seen[:5]:
                # A change committed out of order beyond the margins: compare every record.
                known = sync.with_vectors(
                    sync.records(reader, entity=state.entity),
                    *sync.vector_ids(reader, entity=state.entity, model_id=state.model_id),
                )
            changed = _changed(old, known)
            rebuild = _went_back(old, known) or len(changed) > rebuild_over(len(state.index))
            fetched = []
            if not rebuild:
                at = known.position(changed)
                wanted = [
                    int(i)
                    for i, a in zip(changed, at, strict=True)
                    if a >= 0 and known.live[a] and known.vector[a] > 0
                ]
                fetched = [
                    p
                    for p, _, _ in sync.profiles(
                        reader, entity=state.entity, model_id=state.model_id, ids=wanted
                    )
                ]
        if rebuild:
            self._rebuild(session, state)
            return
        keep = {p.id for p in fetched}
        gone = [str(i) for i in changed if str(i) not in keep]
        index = state.index
        with state.lock.write():
            # Rows whose record changes: those of removed records (the last rows move there)
            # and those appended.
            touched = [index.positions_[g] for g in gone if g in index.positions_]
            index.remove(gone)
            index.upsert(fetched)
            touched += [index.positions_[p.id] for p in fetched]
            ids = np.resize(state.index_ids, len(index))
            for row in touched:
                if row < len(index):
                    ids[row] = int(index.ids_[row])
            state.index_ids = ids
            state.known, state.synced = known, seen
            state.rows = _index_rows(ids, known)
            state.changed += len(changed)
        self.updates[state.entity] += 1
        if state.changed > refit_after(len(index)):
            if state.version is None:
                # Nowhere to save a refitted version to: refit here, now and then.
                self._rebuild(session, state)
            else:
                self._refit_later(_engine(session), state)

    def _rebuild(self, session: Session, state: _IndexState) -> None:
        self._build(session, state)
        self._sync(session, state, None)

    def _refit_later(self, engine: Engine, state: _IndexState) -> None:
        """Rebuild and publish in a background thread; requests switch to the new version
        when it is published (meanwhile they are served by the updated one)."""
        if state.refitting:
            return
        if not self._background:
            return
        state.refitting = True

        def run() -> None:
            try:
                with exclusive(state.root, wait=False) as mine:
                    if mine:  # else another process is rebuilding it
                        self._fit_and_save(engine, state, len(state.known))
            except Exception:
                log.exception("rebuilding the match index under %s failed", state.root)
            finally:
                state.refitting = False

        thread = threading.Thread(target=run, name="kakehashi-index-refit", daemon=True)
        self._refits.append(thread)
        thread.start()

    def wait_for_refits(self) -> None:
        """Wait until the background rebuilds started so far have ended."""
        while self._refits:
            self._refits.pop().join()


def fit(
    like: Session | Engine, *, entity: embeddings.Entity, model_id: str
) -> tuple[MatchIndex, Known, Signature]:
    """A new index over every live record with a vector, read in one snapshot, with the
    records' state and the signature it reflects."""
    with _snapshot(like) as reader:
        seen = sync.signature(reader, entity=entity, model_id=model_id)
        known = sync.with_vectors(
            sync.records(reader, entity=entity),
            *sync.vector_ids(reader, entity=entity, model_id=model_id),
        )
        profiles = [p for p, _, _ in sync.profiles(reader, entity=entity, model_id=model_id)]
    return MatchIndex().fit(profiles), known, seen


def build_and_save(address: str, root: str, entity: embeddings.Entity, model_id: str) -> str:
    """Build an index and publish it under `root`; returns the version's name. What a child
    process runs: its memory goes when it ends."""
    engine = build_engine(address)
    try:
        index, known, seen = fit(engine, entity=entity, model_id=model_id)
        return index.save(Path(root), extra=known.arrays(), meta={"signature": list(seen)})
    finally:
        engine.dispose()


@lru_cache
def get_ranker() -> RankerState:
    """The process-wide ranker state."""
    return RankerState()
