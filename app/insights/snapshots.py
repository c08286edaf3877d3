"""Weekly snapshots of the gaps per area, so coverage can be followed over time.

One row per (organization, ISO week, area): taking a snapshot again in the same week replaces
that week's figures (rows are updated in place, areas gone are dropped), so the weekly job, a
rerun and the CLI agree. Snapshots are computed over open solicitations at the organization's
own minimum fit, without filters."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.insights import service
from app.insights.models import InsightSnapshot
from app.insights.schemas import AreaGap, AreaTrend, GapsRead, TrendPoint, TrendRead
from app.matches.index import RankerState
from app.organizations.models import Organization

# A trend shows this many weeks unless asked for more.
DEFAULT_WEEKS = 26
# Ids kept with a snapshot's figures (the rest are counted).
KEPT_IDS = 50


def week_of(moment: datetime | date) -> date:
    """The Monday of the ISO week a moment falls in (UTC)."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _details(gaps: GapsRead, area: AreaGap, *, demo_history: bool) -> dict[str, Any]:
    """What a row keeps beside its figures: the minimum as a fit, and the ids behind them."""
    return {
        "min_fit": gaps.min_fit,
        "min_fit_source": gaps.min_fit_source,
        "median_best_fit": area.median_best_fit,
        "uncovered": area.uncovered,
        "authorization_locked": area.authorization_locked,
        "uncovered_solicitation_ids": [s.id for s in area.uncovered_solicitations.items][:KEPT_IDS],
        "authorization_locked_solicitation_ids": [
            s.id for s in area.authorization_locked_solicitations.items
        ][:KEPT_IDS],
        "eligible_partner_ids": [c.id for c in area.eligible.items][:KEPT_IDS],
        "unlocking_partner_ids": [u.company.id for u in area.unlocks],
        "pending_embeddings": gaps.pending_embeddings,
        "demo_history": demo_history,
    }


def store(
    session: Session,
    *,
    organization_id: int,
    gaps: GapsRead,
    week_start: date,
    taken_at: datetime,
    demo_history: bool = False,
) -> list[InsightSnapshot]:
    """Write one week's rows from computed gaps, replacing that week's; flushes only."""
    existing = {
        row.area_slug: row
        for row in session.scalars(
            select(InsightSnapshot).where(
                InsightSnapshot.organization_id == organization_id,
                InsightSnapshot.week_start == week_start,
            )
        )
    }
    rows = []
    for area in gaps.areas:
        row = existing.pop(area.area, None) or InsightSnapshot(
            organization_id=organization_id, week_start=week_start, area_slug=area.area
        )
        row.open_solicitations = area.open_solicitations
        row.vetted_partners = area.vetted_partners
        row.eligible_partners = area.eligible_partners
        row.median_best_score = area.median_best_score
        row.uncovered_share = area.uncovered_share
        row.authorization_locked_share = area.authorization_locked_share
        row.min_score = gaps.min_score
        row.details = _details(gaps, area, demo_history=demo_history)
        row.taken_at = taken_at
        session.add(row)
        rows.append(row)
    for gone in existing.values():
        session.delete(gone)
    session.flush()
    return rows


def take(
    session: Session, *, ranker: RankerState, organization_id: int, now: datetime | None = None
) -> list[InsightSnapshot]:
    """This week's snapshot of one organization's gaps; flushes only."""
    now = now or utcnow()
    gaps = service.gaps(
        session, ranker=ranker, organization_id=organization_id, filters=service.GapFilters()
    )
    return store(
        session,
        organization_id=organization_id,
        gaps=gaps,
        week_start=week_of(now),
        taken_at=now,
    )


def trend(
    session: Session,
    *,
    organization_id: int,
    technology_area: str | None = None,
    weeks: int = DEFAULT_WEEKS,
    now: datetime | None = None,
) -> TrendRead:
    """The organization's snapshots of the last `weeks` weeks per area, oldest first."""
    labels = service.area_labels(session)
    service.check_area(technology_area, labels)
    since = week_of(now or utcnow()) - timedelta(weeks=weeks - 1)
    query = select(InsightSnapshot).where(
        InsightSnapshot.organization_id == organization_id, InsightSnapshot.week_start >= since
    )
    if technology_area:
        query = query.where(InsightSnapshot.area_slug == technology_area)
    rows = session.scalars(
        query.order_by(InsightSnapshot.area_slug, InsightSnapshot.week_start)
    ).all()
    by_area: dict[str, list[TrendPoint]] = {}
    for row in rows:
        by_area.setdefault(row.area_slug, []).append(
            TrendPoint(
                week_start=row.week_start,
                open_solicitations=row.open_solicitations,
                vetted_partners=row.vetted_partners,
                eligible_partners=row.eligible_partners,
                median_best_score=row.median_best_score,
                uncovered_share=row.uncovered_share,
                authorization_locked_share=row.authorization_locked_share,
                min_score=row.min_score,
                demo_history=bool((row.details or {}).get("demo_history")),
                taken_at=row.taken_at,
            )
        )
    return TrendRead(
        organization_id=organization_id,
        weeks=sorted({row.week_start for row in rows}),
        areas=[
            AreaTrend(
                area=slug,
                label_en=labels.get(slug, (slug, slug))[0],
                label_ja=labels.get(slug, (slug, slug))[1],
                points=points,
            )
            for slug, points in by_area.items()
        ],
    )


def latest(session: Session, *, organization_id: int) -> list[InsightSnapshot]:
    """The organization's most recent week of snapshots (none before the first)."""
    week = session.scalar(
        select(InsightSnapshot.week_start)
        .where(InsightSnapshot.organization_id == organization_id)
        .order_by(InsightSnapshot.week_start.desc())
        .limit(1)
    )
    if week is None:
        return []
    return list(
        session.scalars(
            select(InsightSnapshot)
            .where(
                InsightSnapshot.organization_id == organization_id,
                InsightSnapshot.week_start == week,
            )
            .order_by(InsightSnapshot.area_slug)
        )
    )


def take_all(*, slug: str | None = None, ranker: RankerState | None = None) -> dict[str, int]:
    """This week's snapshot of every organization (or the one with `slug`), each committed on
    its own: rows written per organization slug."""
    from app.db import session_scope
    from app.matches.index import get_ranker

    ranker = ranker or get_ranker()
    with session_scope() as session:
        orgs = {
            org.id: org.slug
            for org in session.scalars(
                select(Organization).where(Organization.slug == slug)
                if slug is not None
                else select(Organization).order_by(Organization.id)
            )
        }
    written = {}
    for org_id, org_slug in orgs.items():
        with session_scope() as session:
            written[org_slug] = len(take(session, ranker=ranker, organization_id=org_id))
    return written


def weekly_job() -> None:
    """The worker's weekly job: every organization's snapshot; a failure waits for next week
    (or a run of `kakehashi insights snapshot`)."""
    import logging

    log = logging.getLogger(__name__)
    try:
        written = take_all()
    except Exception:
        log.exception("weekly capability-gap snapshot failed")
        return
    log.info("capability-gap snapshots: %d organizations", len(written))
