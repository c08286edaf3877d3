"""Nightly report generation at scale: 50 organizations x 5 recipients over 1,000 solicitations
and 10,000 Japanese partners (SQLite file, built by the migrations). Run by hand:

    .venv/bin/python bench/reports.py [--orgs 50] [--recipients 5] [--solicitations 1000]
        [--partners 10000] [--days 20] [--uncached 3]

The demo records are loaded and embedded by the real model (about 100 texts); the synthetic
partners and solicitations are the demo ones with generated product words added, and their
vectors perturbed copies of the demo vectors (encoding 11,000 texts would take ten minutes on
two cores, and the report does not encode). Solicitations are posted over --days days, so
one night's window holds about 1/days of them; a few are amended in the window, and some
organizations follow, review, and wait for answers to distributions.

Prints the time to build or open the match indexes (once per process), then for every
recipient build_report + render with one ReportCache for the night: total, per report (median,
p95), the rankings computed against those served from the cache, and the peak RSS of the
process; then --uncached reports each built with a cache of its own, per report, and the
ratio. The machine may be shared: compare figures of one run, not across runs.
"""

import argparse
import hashlib
import os
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ZONES = ("Pacific/Honolulu", "Asia/Tokyo", "America/New_York", "Europe/London")
WORDS = [
    "gallium",
    "nitride",
    "amplifier",
    "hermetic",
    "radar",
    "lidar",
    "composite",
    "titanium",
    "turbine",
    "cryogenic",
    "photonic",
    "sensor",
    "battery",
    "hydrogen",
    "inspection",
    "autonomy",
    "robotics",
    "satellite",
    "antenna",
    "thermal",
    "coating",
    "alloy",
    "additive",
    "casting",
    "machining",
    "firmware",
    "encryption",
    "quantum",
    "laser",
    "optics",
]


def rss_mib() -> float:
    """The process's resident memory now (MiB)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def perturbed(doc: Any, rng: np.random.Generator) -> tuple[bytes, bytes]:
    """A copy of a stored document vector, nudged: (pooled, units) as stored."""
    units = doc.units.astype(np.float32) + rng.normal(scale=0.02, size=doc.units.shape).astype(
        np.float32
    )
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    pooled = units.mean(axis=0)
    pooled /= np.linalg.norm(pooled)
    return pooled.astype("<f4").tobytes(), units.astype("<f2").tobytes()


def fill(args: argparse.Namespace, now: datetime) -> None:
    """The demo, embedded; then the synthetic records in bulk."""
    from sqlalchemy import insert, select

    from app.companies.models import Company, CompanyRole, company_technology_areas
    from app.companies.service import compose_profile_text
    from app.db import session_scope
    from app.distributions.models import Distribution, DistributionRecipient
    from app.embeddings import jobs as embed_jobs
    from app.embeddings import service as embeddings
    from app.embeddings.models import Embedding
    from app.follows.models import SolicitationChange, SolicitationFollow
    from app.organizations.models import Organization, Side
    from app.reports.models import ReportRecipient
    from app.reviews.models import HideReason, MatchReview
    from app.seeding import load
    from app.solicitations.models import Solicitation, solicitation_technology_areas
    from app.solicitations.service import compose_need_text
    from matching.text import content_hash

    rng = np.random.default_rng(7)
    pick = random.Random(7)
    with session_scope() as session:
        load(session, directory=ROOT / "seed_data")
    with session_scope() as session:
        embed_jobs.embed_all(session)
    with session_scope() as session:
        model_id = embeddings.space_id(embeddings.get_encoder())
        demo_partners = session.scalars(
            select(Company).where(Company.role == CompanyRole.JP_PARTNER)
        ).all()
        demo_needs = session.scalars(select(Solicitation)).all()
        company_vectors = embeddings.load(session, entity="company", model_id=model_id)
        need_vectors = embeddings.load(session, entity="solicitation", model_id=model_id)
        owner = demo_partners[0].created_by_id
        vetted_at = now - timedelta(days=200)

        for chunk in range(0, args.partners, 1000):
            rows: list[dict[str, Any]] = []
            for i in range(chunk, min(chunk + 1000, args.partners)):
                model = demo_partners[i % len(demo_partners)]
                state = pick.random()
                rows.append(
                    {
                        "role": CompanyRole.JP_PARTNER,
                        "country": "JP",
                        "name": f"{model.name} #{i}",
                        "name_ja": f"{model.name_ja or '株式会社'} 第{i}",
                        "narrative": f"{model.narrative} Products: "
                        f"{' '.join(pick.sample(WORDS, 6))}; part KX-{i}.",
                        "keywords": model.keywords,
                        "naics": model.naics,
                        "created_by_id": owner,
                        # Most vetted (a few expiring within the month), some pending or unvetted.
                        "vetting_status": "vetted"
                        if state < 0.85
                        else "pending"
                        if state < 0.95
                        else None,
                        "vetting_decided_at": vetted_at if state < 0.85 else None,
                        "vetting_expires_at": now + timedelta(days=pick.randint(1, 400))
                        if state < 0.85
                        else None,
                    }
                )
            ids = session.scalars(insert(Company).returning(Company.id), rows).all()
            session.execute(
                insert(Embedding),
                [
                    {
                        "entity_type": "company",
                        "entity_id": company_id,
                        "model_id": model_id,
                        "content_hash": content_hash(
                            compose_profile_text(row["name"], row["narrative"], row["keywords"])
                        ),
                        "dimension": doc.dimension,
                        "pooled": pooled,
                        "units": units,
                        "spans": [list(s) for s in doc.spans],
                    }
                    for company_id, row, i in zip(
                        ids, rows, range(chunk, chunk + len(ids)), strict=True
                    )
                    for doc in [company_vectors[demo_partners[i % len(demo_partners)].id]]
                    for pooled, units in [perturbed(doc, rng)]
                ],
            )
            areas = [
                {"company_id": company_id, "technology_area_id": area.id}
                for company_id, i in zip(ids, range(chunk, chunk + len(ids)), strict=True)
                for area in demo_partners[i % len(demo_partners)].technology_areas
            ]
            if areas:
                session.execute(insert(company_technology_areas), areas)

        needs: list[dict[str, Any]] = []
        for i in range(args.solicitations):
            need = demo_needs[i % len(demo_needs)]
            posted = now - timedelta(seconds=pick.uniform(0, args.days * 86400))
            needs.append(
                {
                    "source": "bench",
                    "notice_id": f"BENCH-{i}",
                    "title": f"{need.title} ({i})",
                    "agency": need.agency,
                    "description": f"{need.description} Also: {' '.join(pick.sample(WORDS, 6))}.",
                    "naics": need.naics,
                    "status": "open",
                    "export_control": need.export_control,
                    "foreign_participation": need.foreign_participation,
                    "response_deadline": now + timedelta(hours=pick.randint(1, 24 * 90)),
                    "response_deadline_offset": 0,
                    "created_by_id": owner,
                    "created_at": posted,
                    "updated_at": posted,
                }
            )
        need_ids = session.scalars(insert(Solicitation).returning(Solicitation.id), needs).all()
        session.execute(
            insert(Embedding),
            [
                {
                    "entity_type": "solicitation",
                    "entity_id": need_id,
                    "model_id": model_id,
                    "content_hash": content_hash(
                        compose_need_text(row["title"], row["description"])
                    ),
                    "dimension": doc.dimension,
                    "pooled": pooled,
                    "units": units,
                    "spans": [list(s) for s in doc.spans],
                }
                for need_id, row, i in zip(need_ids, needs, range(len(needs)), strict=True)
                for doc in [need_vectors[demo_needs[i % len(demo_needs)].id]]
                for pooled, units in [perturbed(doc, rng)]
            ],
        )
        session.execute(
            insert(solicitation_technology_areas),
            [
                {"solicitation_id": need_id, "technology_area_id": area.id}
                for need_id, i in zip(need_ids, range(len(need_ids)), strict=True)
                for area in demo_needs[i % len(demo_needs)].technology_areas
            ],
        )
        # A few older notices amended during the night.
        window_start = now - timedelta(days=1)
        older = [
            n for n, row in zip(need_ids, needs, strict=True) if row["created_at"] < window_start
        ]
        amended = pick.sample(older, min(10, len(older)))
        session.execute(
            insert(SolicitationChange),
            [
                {
                    "solicitation_id": need_id,
                    "kind": "amended",
                    "changes": {"title": {"before": "old", "after": "new"}},
                    "source": "bench",
                    "occurred_at": now - timedelta(hours=3),
                }
                for need_id in amended
            ],
        )

        orgs = list(session.scalars(select(Organization)))
        for n in range(len(orgs), args.orgs):
            org = Organization(
                slug=f"bench-{n}",
                name=f"Bench organization {n}",
                side=Side.US if n % 2 else Side.JP,
                report_time_zone=ZONES[n % len(ZONES)],
            )
            session.add(org)
            orgs.append(org)
        session.flush()
        in_window = [
            n for n, row in zip(need_ids, needs, strict=True) if row["created_at"] >= window_start
        ]
        partner_ids = list(
            session.scalars(select(Company.id).where(Company.role == CompanyRole.JP_PARTNER))
        )
        area_choices = ["space", "trusted-microelectronics", "robotics", "energy", "sensors"]
        for n, org in enumerate(orgs):
            for r in range(args.recipients):
                session.add(
                    ReportRecipient(
                        organization_id=org.id,
                        email=f"reader{r}@org{org.id}.example",
                        locale=("ja" if org.side is Side.JP else "en") if r != 4 else "en",
                        technology_areas=pick.sample(area_choices, 2) if r == 1 else [],
                        min_fit=0.6 if r == 3 else None,
                        max_matches=5 if r == 2 else 20 if r == 4 else 10,
                    )
                )
            # One organization in five reviews pairs of tonight's notices; all follow some.
            if n % 5 == 0:
                for need_id in pick.sample(in_window, min(3, len(in_window))):
                    for company_id, pinned in (
                        (pick.choice(partner_ids), True),
                        (pick.choice(partner_ids), False),
                    ):
                        session.add(
                            MatchReview(
                                organization_id=org.id,
                                solicitation_id=need_id,
                                company_id=company_id,
                                pinned=pinned,
                                hidden=not pinned,
                                hidden_reason=None if pinned else HideReason.NOT_A_FIT,
                                updated_by="bench",
                            )
                        )
            for need_id in amended[: 3 + n % 4]:
                session.add(
                    SolicitationFollow(
                        organization_id=org.id,
                        solicitation_id=need_id,
                        created_at=now - timedelta(days=2),
                    )
                )
            distribution = Distribution(
                organization_id=org.id,
                solicitation_id=pick.choice(need_ids),
                channel="manual",
                created_at=now - timedelta(days=pick.randint(1, 20)),
            )
            session.add(distribution)
            session.flush()
            for company_id in pick.sample(partner_ids, 5):
                session.add(
                    DistributionRecipient(
                        distribution_id=distribution.id,
                        organization_id=org.id,
                        solicitation_id=distribution.solicitation_id,
                        company_id=company_id,
                        status=pick.choice(["sent", "viewed", "no_response", "interested"]),
                        token_hash=hashlib.sha256(f"{org.id}:{company_id}".encode()).hexdigest(),
                        token_expires_at=now + timedelta(days=30),
                    )
                )


def migrated_database() -> Path:
    """A new SQLite file in a temporary folder, built by the migrations, with the worker off
    and the match cache beside it; the folder. Call it before any app module reads settings."""
    folder = Path(tempfile.mkdtemp(prefix="kakehashi-bench-"))
    os.environ["KAKEHASHI_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ["KAKEHASHI_RUN_WORKER"] = "false"
    os.environ["KAKEHASHI_CACHE_DIR"] = str(folder / "cache")
    from alembic import command

    from app.cli import alembic_config

    command.upgrade(alembic_config(), "head")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--recipients", type=int, default=5)
    parser.add_argument("--solicitations", type=int, default=1_000)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--uncached", type=int, default=3)
    args = parser.parse_args()

    migrated_database()
    from sqlalchemy import func, select

    from app.db import get_sessionmaker
    from app.matches.index import RankerState
    from app.reports.content import Audience, ReportCache, build_report
    from app.reports.models import ReportRecipient
    from app.reports.render import render, render_nothing_new
    from app.solicitations.models import Solicitation

    started = time.perf_counter()
    now = datetime.now(UTC)
    fill(args, now)
    end = datetime.now(UTC)
    start = now - timedelta(days=1)
    print(
        f"{args.orgs} organizations x {args.recipients} recipients, {args.solicitations:,} "
        f"solicitations, {args.partners:,} partners (SQLite; synthetic vectors: perturbed "
        f"copies of the demo's, not encoded); filled in {time.perf_counter() - started:.0f} s"
    )
    ranker = RankerState(background=False)
    with get_sessionmaker()() as session:
        in_window = session.scalar(
            select(func.count(Solicitation.id)).where(Solicitation.created_at >= start)
        )
        print(f"one night's window: {in_window} new solicitations, 10 amended")
        started = time.perf_counter()
        assert ranker.model_id  # loads the encoder: a report encodes only a stale record
        print(f"model loaded: {time.perf_counter() - started:.1f} s (once per process)")
        started = time.perf_counter()
        ranker.solicitations(session)
        ranker.companies(session)
        print(f"match indexes built: {time.perf_counter() - started:.1f} s (once per process)")
        audiences = [
            Audience.of(r)
            for r in session.scalars(select(ReportRecipient).order_by(ReportRecipient.id))
        ]
        base_rss = rss_mib()

        def one(audience: Audience, cache: ReportCache) -> tuple[float, int]:
            t0 = time.perf_counter()
            report = build_report(
                session,
                audience=audience,
                report_date=end.date(),
                window_start=start,
                window_end=end,
                cache=cache,
            )
            rendered = (render_nothing_new if report.nothing_new else render)(
                report, unsubscribe_url="https://kakehashi.example/reports/unsubscribe/x"
            )
            assert rendered.subject
            return time.perf_counter() - t0, sum(len(s.matches) for s in report.solicitations)

        cache = ReportCache(ranker=ranker)
        started = time.perf_counter()
        timed = [one(a, cache) for a in audiences]
        total = time.perf_counter() - started
        times = sorted(t for t, _ in timed)
        per = total / len(timed)
        p95 = times[int(0.95 * (len(times) - 1))]
        listed = sum(m for _, m in timed)
        print(
            f"with one ReportCache: {len(timed)} reports in {total:.1f} s; per report "
            f"mean {per * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms; {listed:,} matches listed; {cache.rankings} rankings "
            f"computed, {cache.hits} served from the cache"
        )
        print(
            f"memory: RSS {base_rss:.0f} MiB before the reports (model, indexes, records), "
            f"{rss_mib():.0f} MiB after, peak {peak_rss_mib():.0f} MiB"
        )
        if args.uncached:
            sample = audiences[: args.uncached]
            started = time.perf_counter()
            for audience in sample:
                one(audience, ReportCache(ranker=ranker))
            alone = (time.perf_counter() - started) / len(sample)
            print(
                f"without sharing (a cache per report), first {len(sample)} reports: "
                f"{alone * 1000:.0f} ms per report, {alone / per:.1f}x the shared mean; "
                f"{len(audiences)} reports would take about {alone * len(audiences):.0f} s"
            )


if __name__ == "__main__":
    main()
