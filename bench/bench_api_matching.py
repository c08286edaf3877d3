"""Matching through the service (database, eligibility, explanations), not only the library:
a SQLite database with N synthetic partners whose vectors are perturbed copies of the encoded
demo profiles; prints the latency of GET /solicitations/{id}/matches-equivalent calls.

    .venv/bin/python bench/bench_api_matching.py [--partners 10000] [--calls 30]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-bench-api-"))
    os.environ["KAKEHASHI_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    os.environ["HF_HUB_OFFLINE"] = "1"

    from alembic import command
    from sqlalchemy import insert, select

    from app.cli import alembic_config
    from app.companies.models import Company, CompanyRole
    from app.db import session_scope
    from app.embeddings import jobs as embed_jobs
    from app.embeddings import service as embeddings
    from app.embeddings.models import Embedding
    from app.matches import service as matches
    from app.matches.index import RankerState
    from app.seeding import load
    from app.solicitations.models import Solicitation
    from matching.text import content_hash

    command.upgrade(alembic_config(), "head")
    with session_scope() as session:
        load(session, directory=Path(__file__).resolve().parent.parent / "seed_data")
    ranker = RankerState()
    with session_scope() as session:
        embed_jobs.embed_all(session)
    rng = np.random.default_rng(7)
    with session_scope() as session:
        model_id = ranker.model_id
        base = session.scalars(select(Company).where(Company.role == CompanyRole.JP_PARTNER)).all()
        vectors = embeddings.load(session, entity="company", model_id=model_id)
        org_id = base[0].created_by_id
        start = time.perf_counter()
        for chunk in range(0, args.partners, 1000):
            rows, embeds = [], []
            for i in range(chunk, min(chunk + 1000, args.partners)):
                model = base[i % len(base)]
                rows.append(
                    {
                        "role": CompanyRole.JP_PARTNER,
                        "country": "JP",
                        "name": f"{model.name} #{i}",
                        "narrative": model.narrative,
                        "keywords": model.keywords,
                        "naics": model.naics,
                        "certifications": [],
                        "consortia": [],
                        "contacts": [],
                        "locked_fields": [],
                        "suggested_areas": [],
                        "created_by_id": org_id,
                        "version": 1,
                        "vetting_status": "vetted",
                    }
                )
            ids = session.scalars(insert(Company).returning(Company.id), rows).all()
            for company_id, i in zip(ids, range(chunk, chunk + len(ids)), strict=True):
                doc = vectors[base[i % len(base)].id]
                noise = rng.normal(scale=0.02, size=doc.units.shape).astype(np.float32)
                units = doc.units.astype(np.float32) + noise
                units /= np.linalg.norm(units, axis=1, keepdims=True)
                pooled = units.mean(axis=0)
                pooled /= np.linalg.norm(pooled)
                embeds.append(
                    {
                        "entity_type": "company",
                        "entity_id": company_id,
                        "model_id": model_id,
                        "content_hash": content_hash(doc.spans.__repr__()),
                        "dimension": doc.dimension,
                        "pooled": pooled.astype("<f4").tobytes(),
                        "units": units.astype("<f2").tobytes(),
                        "spans": [list(s) for s in doc.spans],
                    }
                )
            session.execute(insert(Embedding), embeds)
        print(f"{args.partners} synthetic partners inserted in {time.perf_counter() - start:.1f} s")
    with session_scope() as session:
        solicitation_ids = session.scalars(
            select(Solicitation.id).where(Solicitation.status == "open")
        ).all()
    timings = []
    for call in range(args.calls + 1):
        with session_scope() as session:
            t = time.perf_counter()
            result = matches.match_solicitation(
                session,
                ranker=ranker,
                solicitation_id=solicitation_ids[call % len(solicitation_ids)],
                role=CompanyRole.JP_PARTNER,
                limit=20,
                include_held_back=False,
            )
            elapsed = time.perf_counter() - t
        if call == 0:
            print(
                f"first call (builds the index over {result.candidates} candidates): "
                f"{elapsed * 1000:.0f} ms"
            )
        else:
            timings.append(elapsed * 1000)
    timings.sort()
    p99 = timings[max(0, int(len(timings) * 0.99) - 1)]
    print(
        f"match + eligibility + 20 explanations, {args.partners + 44} partners: "
        f"p50 {statistics.median(timings):.0f} ms, p99 {p99:.0f} ms over {args.calls} calls"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
