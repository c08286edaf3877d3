"""Capability gaps at scale: one organization over 1,000 solicitations and 10,000 Japanese
partners (the data set of bench/reports.py, built by its `fill`). Run by hand:

    .venv/bin/python bench/insights.py [--solicitations 1000] [--partners 10000]

Prints the time to build the match indexes (once per process), then: the gaps per area for
one organization (every solicitation scored against every partner, every verdict), the
per-solicitation uncovered view (sentences encoded, compared with every candidate's
passages) for a few solicitations, and a weekly snapshot (the gaps, written). Each read is
timed cold (computed) and warm (the same request again, served from the result kept in the
process until the data changes), and once more after a change (a pair hidden)."""

import argparse
import statistics
import time
from datetime import UTC, datetime

from bench.reports import fill, migrated_database, peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--solicitations", type=int, default=1_000)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--views", type=int, default=5)
    args = parser.parse_args()
    # What bench/reports.fill reads besides the sizes.
    args.orgs, args.recipients, args.days = 2, 1, 20

    migrated_database()
    from sqlalchemy import select

    from app.companies.models import Company
    from app.db import get_sessionmaker
    from app.insights import cache, service, snapshots
    from app.matches.index import RankerState
    from app.reviews.models import MatchReview
    from app.solicitations.models import Solicitation

    started = time.perf_counter()
    fill(args, datetime.now(UTC))
    print(
        f"{args.solicitations:,} solicitations x {args.partners:,} partners (SQLite; synthetic "
        f"vectors as in bench/reports.py); filled in {time.perf_counter() - started:.0f} s"
    )
    ranker = RankerState(background=False)
    with get_sessionmaker()() as session:
        assert ranker.model_id
        started = time.perf_counter()
        ranker.solicitations(session)
        ranker.companies(session)
        print(f"match indexes built: {time.perf_counter() - started:.1f} s (once per process)")

        def timed(call):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            out = call()
            return out, time.perf_counter() - started

        every = service.GapFilters()
        gaps, took = timed(
            lambda: service.gaps(session, ranker=ranker, organization_id=1, filters=every)
        )
        print(
            f"gaps per area, one organization, cold: {took:.1f} s for {gaps.solicitations:,} "
            f"open solicitations ({took / max(gaps.solicitations, 1) * 1000:.1f} ms each); "
            f"{len(gaps.areas)} areas, "
            f"{sum(a.uncovered for a in gaps.areas)} uncovered solicitation-areas"
        )
        _, warm = timed(
            lambda: service.gaps(session, ranker=ranker, organization_id=1, filters=every)
        )
        print(f"gaps per area, warm (same request again): {warm * 1000:.0f} ms")
        space = service.GapFilters(technology_area="space")
        _, took = timed(
            lambda: service.gaps(session, ranker=ranker, organization_id=1, filters=space)
        )
        _, warm = timed(
            lambda: service.gaps(session, ranker=ranker, organization_id=1, filters=space)
        )
        print(f"gaps, one area (space): cold {took:.1f} s, warm {warm * 1000:.0f} ms")

        ids = session.scalars(select(Solicitation.id).order_by(Solicitation.id)).all()
        cold, warm_times = [], []
        for solicitation_id in ids[-args.views :]:
            for into in (cold, warm_times):
                _, took = timed(
                    lambda solicitation_id=solicitation_id: service.solicitation_gap(
                        session, ranker=ranker, organization_id=1, solicitation_id=solicitation_id
                    )
                )
                into.append(took)
        print(
            f"per-solicitation uncovered view over {len(cold)}: cold median "
            f"{statistics.median(cold) * 1000:.0f} ms, max {max(cold) * 1000:.0f} ms; warm "
            f"median {statistics.median(warm_times) * 1000:.0f} ms"
        )

        # A change (one pair hidden) is seen at once: the next request computes again.
        session.add(
            MatchReview(
                organization_id=1,
                solicitation_id=ids[0],
                company_id=session.scalar(select(Company.id).order_by(Company.id.desc())),
                hidden=True,
            )
        )
        session.commit()
        _, took = timed(
            lambda: service.gaps(session, ranker=ranker, organization_id=1, filters=every)
        )
        print(f"gaps per area after a pair was hidden (computed again): {took:.1f} s")
        cache.clear()
        rows, took = timed(lambda: snapshots.take(session, ranker=ranker, organization_id=1))
        session.commit()
        print(f"weekly snapshot (computed): {took:.1f} s, {len(rows)} rows")
        _, took = timed(lambda: snapshots.take(session, ranker=ranker, organization_id=1))
        session.commit()
        print(f"same week again (rows replaced; gaps served from the kept result): {took:.1f} s")
        print(f"gaps computed {cache.stats['computed']}, served again {cache.stats['reused']}")
        print(f"peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
