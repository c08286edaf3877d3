"""The gaps of an organization, kept in the process until anything they depend on changes.

Computing the gaps ranks every partner for every open solicitation (tens of seconds at a
thousand solicitations and ten thousand partners); an analyst reloading the page, the CSV
download after it and the next request of the same filters reuse that work. A result is
reused only while its key holds: the change signatures of the match indexes (every company,
solicitation, vector, vetting decision and screening hit) and of the multilingual vectors
(Japanese partners are scored through them), the export authorizations, the
organization's reviews (hidden pairs), every organization's settings (the minimum fit, the
recorder trusted for an authorization), the technology areas, the encoder, the filters and
the day; and only until the first deadline or vetting expiry after it was computed passes
(the open solicitations and the vetted partners change then, with no record changed).

The key is read with a few aggregate queries; reading it never writes."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.areas.models import TechnologyArea
from app.authorizations.models import ExportAuthorization
from app.companies.models import Company
from app.db import utcnow
from app.embeddings.service import multilingual_space_id
from app.matches import sync
from app.matches.index import RankerState
from app.organizations.models import Organization
from app.reviews.models import MatchReview
from app.solicitations.models import Solicitation, SolicitationStatus

# Results kept per process (organizations x filters in use): the oldest used goes first.
KEPT = 64
T = TypeVar("T")


@dataclass
class _Entry:
    value: object
    until: datetime | None  # reused before this moment only


_lock = threading.Lock()
_entries: "OrderedDict[Hashable, _Entry]" = OrderedDict()
# Computations of this process, and results served again (the bench prints them).
stats = {"computed": 0, "reused": 0}


def _micros(moment: datetime | None) -> int:
    return sync.micros(moment)


def state_key(session: Session, *, ranker: RankerState, organization_id: int) -> tuple[object, ...]:
    """Everything the gaps of `organization_id` depend on besides the filters and the clock."""
    model_id = ranker.model_id
    companies = sync.signature(session, entity="company", model_id=model_id)
    needs = sync.signature(session, entity="solicitation", model_id=model_id)
    # Japanese profiles are scored through the multilingual vectors: a new or changed one
    # changes the gaps even where no MiniLM vector changed.
    multilingual = tuple(
        sync.signature(session, entity=entity, model_id=multilingual_space_id(entity))
        for entity in ("company", "solicitation")
    )
    auths = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(ExportAuthorization.id), 0),
            func.count(ExportAuthorization.revoked_at),
            func.max(ExportAuthorization.revoked_at),
        )
    ).one()
    reviews = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(MatchReview.version), 0),
            func.max(MatchReview.updated_at),
        ).where(MatchReview.organization_id == organization_id)
    ).one()
    orgs = session.execute(
        select(func.count(), func.coalesce(func.sum(Organization.version), 0))
    ).one()
    own_min = session.scalar(select(Organization.min_fit).where(Organization.id == organization_id))
    areas = tuple(
        session.execute(
            select(TechnologyArea.slug, TechnologyArea.label_en, TechnologyArea.label_ja).order_by(
                TechnologyArea.slug
            )
        ).all()
    )
    return (
        # Several databases may be served by one process (tests): never one's for another's.
        session.get_bind().engine.url.render_as_string(hide_password=True),
        model_id,
        companies,
        needs,
        multilingual,
        (int(auths[0]), int(auths[1]), int(auths[2]), _micros(auths[3])),
        (int(reviews[0]), int(reviews[1]), _micros(reviews[2])),
        (int(orgs[0]), int(orgs[1]), own_min),
        areas,
    )


def next_change(session: Session, now: datetime) -> datetime | None:
    """The first moment after `now` when a solicitation closes by its deadline or a partner's
    vetting expires: the gaps change then without any record changing."""
    deadline = session.scalar(
        select(func.min(Solicitation.response_deadline)).where(
            Solicitation.archived_at.is_(None),
            Solicitation.status == SolicitationStatus.OPEN,
            Solicitation.response_deadline >= now,
        )
    )
    expiry = session.scalar(
        select(func.min(Company.vetting_expires_at)).where(
            Company.archived_at.is_(None), Company.vetting_expires_at > now
        )
    )
    found = [m for m in (deadline, expiry) if m is not None]
    return min(found) if found else None


def cached(
    session: Session,
    *,
    ranker: RankerState,
    organization_id: int,
    what: Hashable,
    compute: Callable[[], T],
) -> T:
    """The result of `compute()` for this organization and `what` (the view and its filters),
    computed again only when the state it depends on has changed."""
    now = utcnow()
    key = (
        organization_id,
        what,
        now.date(),
        state_key(session, ranker=ranker, organization_id=organization_id),
    )
    with _lock:
        entry = _entries.get(key)
        if entry is not None and (entry.until is None or now < entry.until):
            _entries.move_to_end(key)
            stats["reused"] += 1
            return entry.value  # type: ignore[return-value]
    until = next_change(session, now)
    value = compute()
    with _lock:
        stats["computed"] += 1
        _entries[key] = _Entry(value, until)
        _entries.move_to_end(key)
        while len(_entries) > KEPT:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget every kept result."""
    with _lock:
        _entries.clear()
