"""Screening companies against the newest snapshot of each list, and keeping each company's
hold in step with its hits.

Kept apart from the decisions (app.screening.service) so that the company service can screen a
company on create and change without importing vetting, which imports it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.companies.models import Company
from app.screening.models import (
    HitStatus,
    ScreeningEntry,
    ScreeningHit,
    ScreeningList,
    ScreeningSnapshot,
    ScreeningStatus,
)
from matching.screening import DEFAULT_THRESHOLD, ListedParty, Party, ScreeningIndex

# Fields of a company that screening reads: a change to another field screens nothing.
SCREENED_FIELDS = frozenset({"name", "name_ja", "country"})
CACHED_INDEXES = 4
CHUNK = 1000


@dataclass(frozen=True)
class _Listed:
    """What a hit records of the entry it was raised on."""

    entry_id: int
    snapshot_id: int
    list_name: ScreeningList
    entry_key: str
    entry_hash: str
    name: str


@dataclass(frozen=True)
class PreparedLists:
    """The index over the current snapshots' entries, and each index key's entry."""

    index: ScreeningIndex
    entries: dict[str, _Listed]


_cache: OrderedDict[tuple[tuple[int, str, str], ...], PreparedLists] = OrderedDict()
_cache_lock = threading.Lock()


def current_snapshots(session: Session) -> list[ScreeningSnapshot]:
    """The newest snapshot of each list that has been loaded."""
    newest = (
        select(func.max(ScreeningSnapshot.id))
        .group_by(ScreeningSnapshot.list_name)
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(ScreeningSnapshot)
            .where(ScreeningSnapshot.id.in_(newest))
            .order_by(ScreeningSnapshot.id)
        )
    )


def _index_key(listed: ScreeningList, entry_key: str) -> str:
    return f"{listed.value}:{entry_key}"


def prepared(session: Session) -> PreparedLists | None:
    """The screening index of the current snapshots, built once per set of snapshots in this
    process (None when no list is loaded)."""
    snapshots = current_snapshots(session)
    if not snapshots:
        return None
    # The content hash and load moment too: tests and restores reuse ids across databases.
    key = tuple((s.id, s.sha256, s.loaded_at.isoformat()) for s in snapshots)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    rows = session.execute(
        select(
            ScreeningEntry.id,
            ScreeningEntry.snapshot_id,
            ScreeningEntry.list_name,
            ScreeningEntry.entry_key,
            ScreeningEntry.entry_hash,
            ScreeningEntry.names,
            ScreeningEntry.countries,
        ).where(ScreeningEntry.snapshot_id.in_([s.id for s in snapshots]))
    )
    listed: list[ListedParty] = []
    entries: dict[str, _Listed] = {}
    for entry_id, snapshot_id, list_name, entry_key, entry_hash, names, countries in rows:
        index_key = _index_key(list_name, entry_key)
        listed.append(ListedParty(index_key, tuple(names), tuple(countries)))
        entries[index_key] = _Listed(
            entry_id, snapshot_id, list_name, entry_key, entry_hash, names[0]
        )
    result = PreparedLists(ScreeningIndex(listed), entries)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHED_INDEXES:
            _cache.popitem(last=False)
    return result


def _parties(session: Session, company_ids: Collection[int] | None) -> Iterable[list[Party]]:
    """Live companies as parties, a chunk at a time (the hits of a chunk are read with one
    IN list, which SQLite caps)."""
    query = (
        select(Company.id, Company.name, Company.name_ja, Company.country)
        .where(Company.archived_at.is_(None))
        .order_by(Company.id)
    )
    if company_ids is None:
        wanted = list(session.scalars(select(Company.id).where(Company.archived_at.is_(None))))
    else:
        wanted = list(company_ids)
    wanted = sorted(set(wanted))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        yield [
            Party(str(company_id), tuple(n for n in (name, name_ja) if n), country)
            for company_id, name, name_ja, country in session.execute(
                query.where(Company.id.in_(chunk))
            )
        ]


def screen_companies(session: Session, *, company_ids: Collection[int] | None = None) -> int:
    """Screen live companies (all with None) against the current lists: store each new
    potential hit, and set the companies' holds. A decided hit on an unchanged entry is not
    raised again. Returns the number of hits raised."""
    lists = prepared(session)
    if lists is None:
        return 0
    raised = 0
    for parties in _parties(session, company_ids):
        if not parties:
            continue
        ids = [int(p.key) for p in parties]
        known = {
            (row.company_id, row.list_name, row.entry_key, row.entry_hash)
            for row in session.execute(
                select(
                    ScreeningHit.company_id,
                    ScreeningHit.list_name,
                    ScreeningHit.entry_key,
                    ScreeningHit.entry_hash,
                ).where(ScreeningHit.company_id.in_(ids))
            )
        }
        names = {int(p.key): p.names[0] for p in parties}
        touched: set[int] = set()
        for hit in lists.index.screen(parties, threshold=DEFAULT_THRESHOLD):
            entry = lists.entries[hit.entry_key]
            company_id = int(hit.party_key)
            identity = (company_id, entry.list_name, entry.entry_key, entry.entry_hash)
            if identity in known:
                continue
            known.add(identity)
            session.add(
                ScreeningHit(
                    company_id=company_id,
                    list_name=entry.list_name,
                    entry_key=entry.entry_key,
                    entry_hash=entry.entry_hash,
                    entry_id=entry.entry_id,
                    snapshot_id=entry.snapshot_id,
                    entry_name=hit.entry_name[:500],
                    company_name=(hit.party_name or names[company_id])[:500],
                    score=round(float(hit.score), 4),
                    matched_fields=list(hit.matched_fields),
                    status=HitStatus.OPEN,
                )
            )
            touched.add(company_id)
            raised += 1
        if touched:
            session.flush()
            refresh_status(session, company_ids=touched)
    return raised


def status_of(statuses: Iterable[HitStatus]) -> ScreeningStatus | None:
    """Blocked once any hit is confirmed, held while any is open, else clear."""
    found = set(statuses)
    if HitStatus.CONFIRMED in found:
        return ScreeningStatus.BLOCKED
    if HitStatus.OPEN in found:
        return ScreeningStatus.HOLD
    return None


def refresh_status(session: Session, *, company_ids: Collection[int]) -> None:
    """Recompute the companies' screening status from their hits. Not a profile edit: the
    version stays, but `updated_at` moves so that match indexes see the new verdict."""
    hits: dict[int, list[HitStatus]] = {i: [] for i in company_ids}
    for company_id, status in session.execute(
        select(ScreeningHit.company_id, ScreeningHit.status).where(
            ScreeningHit.company_id.in_(list(company_ids))
        )
    ):
        hits[company_id].append(status)
    current = {
        company_id: status
        for company_id, status in session.execute(
            select(Company.id, Company.screening_status).where(Company.id.in_(list(company_ids)))
        )
    }
    for company_id, statuses in hits.items():
        verdict = status_of(statuses)
        value = verdict.value if verdict is not None else None
        if company_id not in current or current[company_id] == value:
            continue
        session.execute(
            update(Company)
            .where(Company.id == company_id)
            .values(screening_status=value)
            .execution_options(synchronize_session=False)
        )
        loaded = session.identity_map.get(identity_key(Company, company_id))
        if loaded is not None:
            session.expire(loaded, ["screening_status", "updated_at"])
