"""Crash-safety benchmark: kill -9 real processes in the middle of their work, restart them,
and count what came out.

1. A background import of a generated SAM.gov extract through the API of a real
   `kakehashi serve` (SQLite file, in-process worker): the server is killed with SIGKILL part
   way, restarted, and the job is taken over once its lease runs out (60 s by default).
2. `kakehashi embed` killed part way, then run again.
3. The worker of `kakehashi serve` killed while it embeds, then the server restarted.

Each prints rows in the file, records in the database, duplicates, the run's counts, and
whether anything was lost, duplicated or encoded twice.

    python bench/bench_crash.py [--rows 25000] [--embed-rows 400] [--port 8120]
                                [--lock-seconds 60] [--skip-embedding]
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from make_import_files import write_sam_csv
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
MAIN = "from app.cli import main; main()"


class Setup:
    """One fresh SQLite database and upload directory, and the environment naming them."""

    def __init__(self, workdir: Path, name: str, lock_seconds: float) -> None:
        self.workdir = workdir
        self.url = f"sqlite:///{workdir / f'{name}.db'}"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1",
            "KAKEHASHI_DATABASE_URL": self.url,
            "KAKEHASHI_UPLOAD_DIR": str(workdir / f"{name}-uploads"),
            "KAKEHASHI_RUN_WORKER": "true",
            "KAKEHASHI_JOB_LOCK_SECONDS": str(lock_seconds),
            "KAKEHASHI_LOG_LEVEL": "WARNING",
        }
        self.engine = create_engine(self.url)
        self.cli("db", "upgrade")
        self.cli("orgs", "create", "bench", "--name", "Bench", "--side", "us", "--platform")
        self.key = self.cli("keys", "create", "--org", "bench", "--role", "analyst").split()[-1]

    def cli(self, *args: str) -> str:
        """Run a kakehashi command to the end; return its output."""
        done = subprocess.run(
            [sys.executable, "-c", MAIN, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            cwd=self.workdir,
        )
        return done.stdout

    def start(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        """Start a kakehashi command in the background, its output going to a log file."""
        out = (self.workdir / log).open("ab")
        return subprocess.Popen(
            [sys.executable, "-c", MAIN, *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )

    def scalar(self, sql: str) -> Any:
        """One value read straight from the database."""
        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    def rows(self, sql: str) -> list[Any]:
        """Rows read straight from the database."""
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql)))


def wait_for(what: str, check: Callable[[], Any], timeout: float, every: float = 0.2) -> Any:
    """Poll until check() gives something true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")


def kill9(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no shutdown handler, no last commit."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process we are done with (SIGKILL if it does not stop within 20 s)."""
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        kill9(process)


class Server:
    """A real `kakehashi serve` on loopback with its in-process job worker."""

    def __init__(self, setup: Setup, port: int) -> None:
        self.setup = setup
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            headers={"Authorization": f"Bearer {setup.key}"},
            timeout=60,
        )

    def start(self) -> float:
        """Start the server; return seconds until it answers."""
        started = time.monotonic()
        self.process = self.setup.start(
            "serve", "--host", "127.0.0.1", "--port", str(self.port), log="serve.log"
        )

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited; see {self.setup.workdir / 'serve.log'}")
            try:
                return self.http.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_for("the server", healthy, timeout=180, every=0.5)
        return time.monotonic() - started

    def kill9(self) -> None:
        """SIGKILL the server, worker and all."""
        assert self.process is not None
        kill9(self.process)

    def stop(self) -> None:
        """Stop the server."""
        assert self.process is not None
        stop(self.process)


def crash_import(workdir: Path, rows: int, port: int, lock_seconds: float) -> bool:
    """Kill -9 the server part way through a background import; restart; count."""
    setup = Setup(workdir, "import", lock_seconds)
    path = workdir / "sam.csv"
    size = write_sam_csv(path, rows=rows)
    with path.open(encoding="cp1252", newline="") as handle:
        notice_ids = [row["NoticeId"] for row in csv.DictReader(handle)]
    print(f"file: {len(notice_ids):,} rows, {size / 2**20:.1f} MiB, {len(set(notice_ids)):,} ids")

    server = Server(setup, port)
    print(f"server up in {server.start():.1f} s")
    with path.open("rb") as handle:
        response = server.http.post(
            "/imports/background",
            data={"kind": "solicitations"},
            files={"file": ("sam.csv", handle, "text/csv")},
        )
    response.raise_for_status()
    run_id = response.json()["id"]

    def progress() -> dict[str, Any] | None:
        run = server.http.get(f"/imports/{run_id}").json()
        return run if run["counts"].get("rows", 0) >= rows * 0.4 else None

    seen = wait_for("40% of the import", progress, timeout=900)
    server.kill9()
    killed_at = time.monotonic()
    killed_wall = datetime.now(UTC)
    saved = setup.scalar(f"SELECT counts FROM import_runs WHERE id = {run_id}")
    records_at_kill = setup.scalar("SELECT count(*) FROM solicitations")
    print(
        f"kill -9 with {seen['counts']['rows']:,} rows reported; committed: {records_at_kill:,} "
        f"records, run counts {saved}"
    )
    status = setup.scalar(f"SELECT status FROM import_runs WHERE id = {run_id}")
    print(f"after the kill the run reads: {status}")

    print(f"server up again in {server.start():.1f} s")

    def finished() -> dict[str, Any] | None:
        run = server.http.get(f"/imports/{run_id}").json()
        return run if run["status"] in ("finished", "failed") else None

    run = wait_for("the import to finish", finished, timeout=1800, every=1)
    took = time.monotonic() - killed_at
    server.stop()
    counts = run["counts"]
    records = setup.scalar("SELECT count(*) FROM solicitations")
    distinct = setup.scalar("SELECT count(DISTINCT source || '|' || notice_id) FROM solicitations")
    stored_ids = {r[0] for r in setup.rows("SELECT notice_id FROM solicitations")}
    lost = len(set(notice_ids) - stored_ids)
    duplicates = records - distinct
    covered = counts["created"] + counts["updated"] + counts["unchanged"] + counts["rejected"]
    print(f"run status: {run['status']}, {took:.0f} s from the kill to the end")
    for stop_ in run["interruptions"]:
        resumed = datetime.fromisoformat(stop_["resumed_at"].replace("Z", "+00:00"))
        print(f"  {stop_['note']}, {(resumed - killed_wall).total_seconds():.0f} s after the kill")
    print(f"{'rows in the file':34} {len(notice_ids):>8,}")
    print(f"{'records in the database':34} {records:>8,}")
    print(f"{'lost (file ids not in the db)':34} {lost:>8,}")
    print(f"{'duplicated records':34} {duplicates:>8,}")
    for name in ("rows", "created", "updated", "unchanged", "rejected", "warnings", "errors"):
        print(f"{'run ' + name:34} {counts.get(name, 0):>8,}")
    # Same title and agency under another notice id: flagged for review, never merged.
    print(f"{'run likely duplicates flagged':34} {counts.get('duplicates', 0):>8,}")
    ok = (
        run["status"] == "finished"
        and lost == 0
        and duplicates == 0
        and counts["rows"] == covered == len(notice_ids)
        and counts["created"] == records
    )
    print("import: " + ("OK, 0 lost, 0 duplicated, counts cover the file once" if ok else "FAILED"))
    return ok


def _vectors(setup: Setup) -> tuple[set[int], int, int, int]:
    """(embedding ids, live records, records with exactly one vector, vector models)."""
    ids = {r[0] for r in setup.rows("SELECT id FROM embeddings")}
    records = setup.scalar(
        "SELECT (SELECT count(*) FROM solicitations WHERE archived_at IS NULL)"
        " + (SELECT count(*) FROM companies WHERE archived_at IS NULL)"
    )
    single = setup.scalar(
        "SELECT count(*) FROM (SELECT entity_type, entity_id FROM embeddings"
        " GROUP BY entity_type, entity_id HAVING count(*) = 1) AS once"
    )
    models = setup.scalar("SELECT count(DISTINCT model_id) FROM embeddings")
    return ids, records, single, models


def _report_vectors(label: str, setup: Setup, before: set[int], encoded_after: int | None) -> bool:
    ids, records, single, models = _vectors(setup)
    kept = len(before & ids)
    print(f"{'records':34} {records:>8,}")
    print(f"{'vectors committed before the kill':34} {len(before):>8,}")
    print(f"{'  of them still there (not redone)':34} {kept:>8,}")
    print(f"{'vectors now':34} {len(ids):>8,}")
    print(f"{'records with exactly one vector':34} {single:>8,}")
    print(f"{'vector models':34} {models:>8,}")
    ok = kept == len(before) and len(ids) == records == single and models == 1
    if encoded_after is not None:
        print(f"{'encoded by the second run':34} {encoded_after:>8,}")
        ok = ok and encoded_after == records - len(before)
    print(f"{label}: " + ("OK, one vector each, none encoded twice" if ok else "FAILED"))
    return ok


def crash_embed_cli(workdir: Path, rows: int, lock_seconds: float) -> bool:
    """Kill -9 `kakehashi embed` part way; run it again."""
    setup = Setup(workdir, "embed-cli", lock_seconds)
    path = workdir / "small.csv"
    write_sam_csv(path, rows=rows, seed=11)
    setup.cli("import", "solicitations", str(path), "--org", "bench")
    process = setup.start("embed", log="embed.log")
    wait_for(
        "two committed chunks",
        lambda: setup.scalar("SELECT count(*) FROM embeddings") >= 128,
        timeout=900,
        every=0.1,
    )
    kill9(process)
    before = {r[0] for r in setup.rows("SELECT id FROM embeddings")}
    print(f"kill -9 `kakehashi embed` with {len(before)} vectors committed")
    out = setup.cli("embed")
    encoded = sum(int(line.split(":")[1].split()[0]) for line in out.splitlines() if ":" in line)
    print("second run: " + "; ".join(out.strip().splitlines()))
    return _report_vectors("kakehashi embed", setup, before, encoded)


def crash_embed_worker(workdir: Path, rows: int, port: int, lock_seconds: float) -> bool:
    """Kill -9 the server while its worker embeds; restart it."""
    setup = Setup(workdir, "embed-worker", lock_seconds)
    path = workdir / "small.csv"
    write_sam_csv(path, rows=rows, seed=13)
    setup.cli("import", "solicitations", str(path), "--org", "bench")  # queues the embedding
    server = Server(setup, port)
    server.start()
    wait_for(
        "two committed chunks",
        lambda: setup.scalar("SELECT count(*) FROM embeddings") >= 128,
        timeout=900,
        every=0.1,
    )
    server.kill9()
    killed_at = time.monotonic()
    before = {r[0] for r in setup.rows("SELECT id FROM embeddings")}
    print(f"kill -9 the server while embedding, with {len(before)} vectors committed")
    server.start()

    def done() -> bool:
        pending = setup.scalar("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
        return pending == 0

    wait_for("the embedding job", done, timeout=1800, every=1)
    took = time.monotonic() - killed_at
    server.stop()
    attempts = setup.scalar("SELECT max(attempts) FROM jobs WHERE kind = 'embed_all'")
    print(f"embedding job done {took:.0f} s after the kill, in {attempts} attempts")
    return _report_vectors("worker embedding", setup, before, None)


def main() -> int:
    """Run the three crashes and say whether each came out exact."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000, help="rows in the imported file")
    parser.add_argument("--embed-rows", type=int, default=400, help="records to embed")
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--lock-seconds", type=float, default=60, help="job lease (default 60)")
    parser.add_argument("--skip-embedding", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-crash-"))
    print(f"work directory: {workdir}")
    print("\n== kill -9 `kakehashi serve` during a background import ==")
    results = [crash_import(workdir, args.rows, args.port, args.lock_seconds)]
    if not args.skip_embedding:
        print("\n== kill -9 `kakehashi embed` ==")
        results.append(crash_embed_cli(workdir, args.embed_rows, args.lock_seconds))
        print("\n== kill -9 `kakehashi serve` while its worker embeds ==")
        results.append(crash_embed_worker(workdir, args.embed_rows, args.port, args.lock_seconds))
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
