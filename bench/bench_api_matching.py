"""Matching at scale through the real API: latency, the cost of one profile change, and the
memory of a second API process, printed side by side (with a baseline source tree beside this
one when --baseline is given).

    python bench/bench_api_matching.py [--partners 10000] [--calls 100]
        [--memory-profiles 100000] [--baseline DIR]

1. Latency. A SQLite database with N synthetic Japanese partners (the demo profiles with a
   sentence of generated product words and part numbers added, so the vocabulary grows with N
   as a real one does; their vectors are perturbed copies of the demo vectors). One uvicorn
   worker on 127.0.0.1 serves GET /api/v1/solicitations/{id}/matches (up to 20 items,
   explanations included), called one after another over the open demo solicitations; p50 and
   p99 over --calls calls, and over those that returned 20 items, after a first call that
   builds (or opens) the index.
2. One profile change, in this process: a full build of the company index beside the index
   work the next request does after a company PATCH (new narrative) whose new vector the
   embed job stored, after an archive, and after a new company; the rebuild counter shows that
   none of them rebuilt.
3. Memory (--memory-profiles M, 0 to skip): a database of M partners; a first worker serves a
   match request, then a second worker on the same database and cache directory does; with
   both up, RSS, PSS (shared pages split between the processes that map them) and USS (pages
   of that process alone: what it adds to the machine) of each, its peak RSS, and its RSS and
   USS before its first match request (the app and the model, loaded at start-up).

--baseline DIR runs 1 and 3 against another source tree as well, e.g. the commit before this
change: `mkdir DIR && git archive <commit> | tar -x -C DIR`. The machine may be shared: compare
figures of one run, not across runs.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORDS = re.compile(r"[A-Za-z][A-Za-z-]{3,}")


def populate(url: str, partners: int, *, seed: int = 7) -> str:
    """Migrate and seed the database, add `partners` synthetic partners with vectors, and
    create a platform admin API key; returns the key."""
    os.environ["KAKEHASHI_DATABASE_URL"] = url
    from alembic import command
    from sqlalchemy import insert, select

    from app.cli import alembic_config
    from app.companies.models import Company, CompanyRole
    from app.companies.service import compose_profile_text
    from app.config import get_settings
    from app.db import get_engine, get_read_sessionmaker, get_sessionmaker, session_scope
    from app.embeddings import jobs as embed_jobs
    from app.embeddings import service as embeddings
    from app.embeddings.models import Embedding
    from app.organizations import service as organizations
    from app.organizations.models import Organization, Role
    from app.seeding import load
    from app.solicitations.models import Solicitation
    from matching.text import content_hash

    for cached in (get_settings, get_engine, get_sessionmaker, get_read_sessionmaker):
        cached.cache_clear()
    command.upgrade(alembic_config(), "head")
    with session_scope() as session:
        load(session, directory=ROOT / "seed_data")
    with session_scope() as session:
        embed_jobs.embed_all(session)
    rng = np.random.default_rng(seed)
    with session_scope() as session:
        model_id = embeddings.space_id(embeddings.get_encoder())
        base = session.scalars(select(Company).where(Company.role == CompanyRole.JP_PARTNER)).all()
        vectors = embeddings.load(session, entity="company", model_id=model_id)
        texts = [c.narrative for c in base] + [
            s.description for s in session.scalars(select(Solicitation))
        ]
        pool = sorted({w.lower() for t in texts for w in WORDS.findall(t)})
        org_id = base[0].created_by_id
        for chunk in range(0, partners, 1000):
            rows, embeds = [], []
            for i in range(chunk, min(chunk + 1000, partners)):
                model = base[i % len(base)]
                words = rng.choice(pool, size=8)
                parts = [
                    f"{rng.choice(['KX', 'RT', 'GA', 'MZ'])}-{rng.integers(partners)}" for _ in "ab"
                ]
                narrative = (
                    f"{model.narrative} Products: {' '.join(words)}; part numbers "
                    f"{parts[0]} and {parts[1]}."
                )
                rows.append(
                    {
                        "role": CompanyRole.JP_PARTNER,
                        "country": "JP",
                        "name": f"{model.name} #{i}",
                        "narrative": narrative,
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
            for company_id, row, i in zip(ids, rows, range(chunk, chunk + len(ids)), strict=True):
                doc = vectors[base[i % len(base)].id]
                noise = rng.normal(scale=0.02, size=doc.units.shape).astype(np.float32)
                units = doc.units.astype(np.float32) + noise
                units /= np.linalg.norm(units, axis=1, keepdims=True)
                pooled = units.mean(axis=0)
                pooled /= np.linalg.norm(pooled)
                text = compose_profile_text(row["name"], row["narrative"], row["keywords"])
                embeds.append(
                    {
                        "entity_type": "company",
                        "entity_id": company_id,
                        "model_id": model_id,
                        "content_hash": content_hash(text),
                        "dimension": doc.dimension,
                        "pooled": pooled.astype("<f4").tobytes(),
                        "units": units.astype("<f2").tobytes(),
                        "spans": [list(s) for s in doc.spans],
                    }
                )
            session.execute(insert(Embedding), embeds)
        pichtr = session.scalars(select(Organization).where(Organization.slug == "pichtr")).one()
        _, key = organizations.create_api_key(
            session, organization=pichtr, role=Role.ADMIN, label="bench"
        )
    get_engine().dispose()
    # A freshly loaded database, as a running one is: its write-ahead log folded in.
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return key


def open_solicitations(url: str) -> list[int]:
    """Ids of the open demo solicitations."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        ids = connection.execute(
            text("SELECT id FROM solicitations WHERE status = 'open' ORDER BY id")
        ).scalars()
        out = list(ids)
    engine.dispose()
    return out


class Server:
    """One uvicorn worker of a source tree, on loopback."""

    def __init__(self, source: Path, url: str, cache: Path, port: int, log: Path) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(source),
            "KAKEHASHI_DATABASE_URL": url,
            "KAKEHASHI_CACHE_DIR": str(cache),
            "KAKEHASHI_RUN_WORKER": "false",
            "KAKEHASHI_LOG_LEVEL": "WARNING",
            "KAKEHASHI_API_RATE_LIMIT_PER_KEY": "1000000/minute",
            "KAKEHASHI_API_RATE_LIMIT_PER_ADDRESS": "1000000/minute",
            "HF_HUB_OFFLINE": "1",
        }
        code = (
            "import uvicorn; uvicorn.run('app.main:create_app', factory=True, "
            f"host='127.0.0.1', port={port}, log_level='warning')"
        )
        self.base = f"http://127.0.0.1:{port}"
        with log.open("wb") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=source,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        self.log = log
        self._wait()

    def _wait(self, timeout: float = 180) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited; see {self.log}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"server did not start; see {self.log}")

    def memory(self) -> dict[str, float]:
        """RSS, PSS, USS and peak RSS in MiB."""
        import psutil

        info = psutil.Process(self.process.pid).memory_full_info()
        peak = 0.0
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
        mib = 1024 * 1024
        return {"rss": info.rss / mib, "pss": info.pss / mib, "uss": info.uss / mib, "peak": peak}

    def stop(self) -> None:
        """Stop the worker."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def get_matches(base: str, key: str, solicitation_id: int) -> float:
    """One match request; its wall time in ms."""
    import httpx

    start = time.perf_counter()
    response = httpx.get(
        f"{base}/api/v1/solicitations/{solicitation_id}/matches",
        params={"limit": 20},
        headers={"Authorization": f"Bearer {key}"},
        timeout=900,
    )
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"match request failed: {response.status_code} {response.text[:500]}")
    return elapsed


def latency(
    source: Path, url: str, key: str, calls: int, workdir: Path, port: int
) -> dict[str, float]:
    """First-call time, p50 and p99 of the match GET through one worker of `source`."""
    import httpx

    ids = open_solicitations(url)
    server = Server(source, url, workdir / f"cache-{port}", port, workdir / f"server-{port}.log")
    try:
        first = get_matches(server.base, key, ids[0])
        timings, full = [], []
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=900) as client:
            for call in range(calls):
                start = time.perf_counter()
                response = client.get(
                    f"{server.base}/api/v1/solicitations/{ids[call % len(ids)]}/matches",
                    params={"limit": 20},
                )
                timings.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"match request failed: {response.status_code}")
                if len(response.json()["items"]) == 20:
                    full.append(timings[-1])
    finally:
        server.stop()
    return {
        "first": first,
        **{f"all_{k}": v for k, v in percentiles(timings).items()},
        **{f"full_{k}": v for k, v in percentiles(full).items()},
        "full_calls": len(full),
    }


def percentiles(timings: list[float]) -> dict[str, float]:
    """p50 and p99 (nearest rank) of some timings."""
    if not timings:
        return {"p50": float("nan"), "p99": float("nan")}
    ordered = sorted(timings)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(np.ceil(len(ordered) * 0.99)) - 1)],
    }


def one_change(url: str, workdir: Path) -> list[tuple[str, float, str]]:
    """Index work in this process: a full build, then the sync after each kind of change."""
    from sqlalchemy import select

    from app.companies import service as companies
    from app.companies.models import Company, CompanyRole
    from app.db import session_scope, utcnow
    from app.embeddings import jobs as embed_jobs
    from app.matches.index import RankerState

    ranker = RankerState(cache_dir=workdir / "cache-inproc", background=False)
    out: list[tuple[str, float, str]] = []

    def timed(label: str, note: str = "") -> None:
        with session_scope() as session:
            start = time.perf_counter()
            index = ranker.companies(session)
            elapsed = (time.perf_counter() - start) * 1000
        counts = (
            f"{len(index)} indexed; builds {ranker.builds['company']}, "
            f"incremental updates {ranker.updates['company']}"
        )
        out.append((label, elapsed, f"{counts}{'; ' + note if note else ''}"))

    timed("full build (no saved index)")
    with session_scope() as session:
        reopened = RankerState(cache_dir=workdir / "cache-inproc")
        start = time.perf_counter()
        reopened.companies(session)
        out.append(
            ("open the saved index (second process)", (time.perf_counter() - start) * 1000, "")
        )
    with session_scope() as session:
        start = time.perf_counter()
        ranker.companies(session)
        out.append(
            (
                "request with nothing changed (signature check)",
                (time.perf_counter() - start) * 1000,
                "",
            )
        )

    with session_scope() as session:
        company = session.scalars(
            select(Company)
            .where(Company.role == CompanyRole.JP_PARTNER)
            .order_by(Company.id.desc())
        ).first()
        assert company is not None
        changed_id = company.id
        companies.apply_changes(
            session,
            company=company,
            changes={"narrative": "Hermetic GaN power amplifier modules for Ka-band crosslinks."},
        )
    with session_scope() as session:
        embed_jobs.embed_in_chunks(session, entity="company", ids=[changed_id])
    timed("after a PATCH and its new vector", f"company {changed_id}")
    with session_scope() as session:
        index = ranker.companies(session)
        assert "Ka-band" in index.profile(str(changed_id)).text
        company = session.get(Company, changed_id)
        assert company is not None
        company.archived_at = utcnow()
    timed("after an archive")
    with session_scope() as session:
        assert str(changed_id) not in ranker.companies(session).positions_
        template = session.scalars(
            select(Company).where(Company.role == CompanyRole.JP_PARTNER)
        ).first()
        assert template is not None
        new = Company(
            role=CompanyRole.JP_PARTNER,
            country="JP",
            name="Benchmark New Partner KK",
            narrative=template.narrative,
            keywords=[],
            naics=template.naics,
            created_by_id=template.created_by_id,
        )
        session.add(new)
        session.flush()
        new_id = new.id
    with session_scope() as session:
        embed_jobs.embed_in_chunks(session, entity="company", ids=[new_id])
    timed("after a new company and its vector")
    return out


def memory(source: Path, url: str, key: str, workdir: Path, port: int) -> list[dict[str, float]]:
    """Two workers of `source` on one database and cache directory, one after the other."""
    ids = open_solicitations(url)
    cache = workdir / f"cache-memory-{port}"
    servers: list[Server] = []
    figures: list[dict[str, float]] = []
    try:
        for n in range(2):
            server = Server(source, url, cache, port + n, workdir / f"server-memory-{port + n}.log")
            servers.append(server)
            time.sleep(5)  # the model loads in a thread at start-up
            before = server.memory()
            first = get_matches(server.base, key, ids[0])
            figures.append(
                {"first_ms": first, "uss_before": before["uss"], "rss_before": before["rss"]}
            )
        # Both workers up and warm: shared pages now count half in each one's PSS.
        for server, figure in zip(servers, figures, strict=True):
            figure.update(server.memory())
    finally:
        for server in servers:
            server.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--memory-profiles", type=int, default=0)
    parser.add_argument("--baseline", type=Path, help="another source tree to measure beside")
    parser.add_argument("--port", type=int, default=8260)
    parser.add_argument("--parts", default="123", help="which of the measurements to run")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-bench-api-"))
    sources = {"this tree": ROOT}
    if args.baseline:
        sources = {"baseline": args.baseline.resolve(), **sources}
    print(f"work directory {workdir}; machine: {os.cpu_count()} CPUs, may be shared")

    if "1" in args.parts or "2" in args.parts:
        url = f"sqlite:///{workdir / 'latency.db'}"
        start = time.perf_counter()
        key = populate(url, args.partners)
        print(f"{args.partners} synthetic partners ready in {time.perf_counter() - start:.0f} s\n")
    if "1" in args.parts:
        measure_latency(args, sources, url, key, workdir)
    if "2" in args.parts:
        print(f"\n2. Index work after one change, {args.partners} partners (in this process)")
        for label, ms, note in one_change(url, workdir):
            print(f"   {label:48} {ms:>8.1f} ms   {note}")
    if "3" in args.parts and args.memory_profiles:
        measure_memory(args, sources, workdir)
    return 0


def measure_latency(
    args: argparse.Namespace, sources: dict[str, Path], url: str, key: str, workdir: Path
) -> None:
    """Part 1, printed."""
    print(
        f"1. GET /solicitations/{{id}}/matches, {args.partners} partners, one worker, "
        f"{args.calls} calls"
    )
    print(
        f"   {'':12} {'first call':>12} {'all: p50':>10} {'p99':>9}   "
        f"{'20 items: p50':>14} {'p99':>9} {'calls':>6}"
    )
    for n, (name, source) in enumerate(sources.items()):
        f = latency(source, url, key, args.calls, workdir, args.port + n)
        print(
            f"   {name:12} {f['first']:>9.0f} ms {f['all_p50']:>7.1f} ms {f['all_p99']:>6.1f} ms"
            f"   {f['full_p50']:>11.1f} ms {f['full_p99']:>6.1f} ms {f['full_calls']:>6}"
        )
    print(
        "   (all: every call, over the open demo solicitations; many of them are export-"
        "controlled\n   and no synthetic partner may receive them, so they rank nothing. "
        "20 items: the calls that\n   ranked and explained 20 partners.)"
    )


def measure_memory(args: argparse.Namespace, sources: dict[str, Path], workdir: Path) -> None:
    """Part 3, printed."""
    url = f"sqlite:///{workdir / 'memory.db'}"
    start = time.perf_counter()
    key = populate(url, args.memory_profiles)
    print(
        f"\n{args.memory_profiles} synthetic partners ready in {time.perf_counter() - start:.0f} s"
    )
    print(f"3. Memory of two workers, {args.memory_profiles} partners (MiB)")
    print(
        f"   {'':12} {'worker':>6} {'first match':>12} {'RSS':>7} {'PSS':>7} {'USS':>7} "
        f"{'peak RSS':>9} {'RSS before':>11} {'USS before':>11}"
    )
    for n, (name, source) in enumerate(sources.items()):
        port = args.port + 10 + 2 * n
        for i, f in enumerate(memory(source, url, key, workdir, port), 1):
            print(
                f"   {name:12} {i:>6} {f['first_ms'] / 1000:>10.1f} s {f['rss']:>7.0f} "
                f"{f['pss']:>7.0f} {f['uss']:>7.0f} {f['peak']:>9.0f} {f['rss_before']:>11.0f} "
                f"{f['uss_before']:>11.0f}"
            )
        if source == ROOT:
            vocabulary(workdir / f"cache-memory-{port}")


def vocabulary(cache: Path) -> None:
    """What the saved company index holds, and what its vocabulary would cost each worker as
    the Python dict a fitted TfidfVectorizer keeps (measured with tracemalloc)."""
    import tracemalloc

    from matching.ranker import MatchIndex

    root = next(cache.glob("match-index/*/*/company"))
    index, version = MatchIndex.open(root)
    table = index.lexical_.terms_table_
    files = sum(array.nbytes for array in version.arrays.values()) / 2**20
    terms = len(table)
    table_mib = sum(a.nbytes for a in table.arrays("t").values()) / 2**20
    tracemalloc.start()
    as_dict = {table[i]: i for i in range(terms)}
    dict_mib = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del as_dict
    print(
        f"   saved company index: {files:.0f} MiB of shared files for {len(index)} profiles, "
        f"{len(index.units_)} passage vectors, {index.lexical_.matrix_.nnz} lexical weights"
    )
    print(
        f"   vocabulary: {terms} terms, {table_mib:.0f} MiB as shared arrays; as a Python dict "
        f"it would take {dict_mib:.0f} MiB in every worker"
    )


if __name__ == "__main__":
    raise SystemExit(main())
