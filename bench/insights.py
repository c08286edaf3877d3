"""Capability gaps at scale: one organization over 1,000 solicitations and 10,000 Japanese
partners (the data set of bench/reports.py, built by its `fill`). Run by hand:

    .venv/bin/python bench/insights.py [--solicitations 1000] [--partners 10000]

Prints the time to build the match indexes (once per process), then: the gaps per area for
one organization (every solicitation scored against every partner, every verdict), the
per-solicitation uncovered view (sentences encoded, compared with every candidate's
passages) for a few solicitations, and a weekly snapshot (the gaps, written)."""

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.reports import fill, peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--solicitations", type=int, default=1_000)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--views", type=int, default=5)
    args = parser.parse_args()
    # What bench/reports.fill reads besides the sizes.
    args.orgs, args.recipients, args.days = 2, 1, 20

    folder = Path(tempfile.mkdtemp(prefix="kakehashi-bench-"))
    os.environ["KAKEHASHI_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ["KAKEHASHI_RUN_WORKER"] = "false"
    os.environ["KAKEHASHI_CACHE_DIR"] = str(folder / "cache")
    from alembic import command
    from sqlalchemy import select

    from app.cli import alembic_config
    from app.db import get_sessionmaker
    from app.insights import service, snapshots
    from app.matches.index import RankerState
    from app.solicitations.models import Solicitation

    command.upgrade(alembic_config(), "head")
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

        started = time.perf_counter()
        gaps = service.gaps(session, ranker=ranker, organization_id=1, filters=service.GapFilters())
        took = time.perf_counter() - started
        print(
            f"gaps per area, one organization: {took:.1f} s for {gaps.solicitations:,} open "
            f"solicitations ({took / max(gaps.solicitations, 1) * 1000:.1f} ms each); "
            f"{len(gaps.areas)} areas, "
            f"{sum(a.uncovered for a in gaps.areas)} uncovered solicitation-areas"
        )
        started = time.perf_counter()
        service.gaps(
            session,
            ranker=ranker,
            organization_id=1,
            filters=service.GapFilters(technology_area="space"),
        )
        print(f"gaps, one area (space): {time.perf_counter() - started:.1f} s")

        ids = session.scalars(select(Solicitation.id).order_by(Solicitation.id)).all()
        times = []
        for solicitation_id in ids[-args.views :]:
            started = time.perf_counter()
            service.solicitation_gap(
                session, ranker=ranker, organization_id=1, solicitation_id=solicitation_id
            )
            times.append(time.perf_counter() - started)
        print(
            f"per-solicitation uncovered view: median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {len(times)}"
        )
        started = time.perf_counter()
        rows = snapshots.take(session, ranker=ranker, organization_id=1)
        session.commit()
        print(f"weekly snapshot: {time.perf_counter() - started:.1f} s, {len(rows)} rows")
        started = time.perf_counter()
        snapshots.take(session, ranker=ranker, organization_id=1)
        session.commit()
        print(f"same week again (rows replaced): {time.perf_counter() - started:.1f} s")
        print(f"peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
