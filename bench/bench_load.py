"""API under load: a closed loop of concurrent clients against a real server, beside a
hello-world FastAPI app served by uvicorn in the same run (the ceiling of this machine, this
client and this server stack).

Default run (about 4 minutes): the mixed workload (90% reads: records, 20-item lists, matches;
10% writes: PATCH a company's keywords, PATCH a solicitation, create a solicitation) with 16
clients for 60 s each against
  1. hello-world (the ceiling),
  2. Kakehashi on SQLite with its job worker busy (a background import of generated
     solicitations, and their embeddings, runs through the whole load),
  3. Kakehashi on PostgreSQL with 2 API processes (`kakehashi serve --workers 2`), when
     --postgres-url is given. That database's schema is DROPPED and rebuilt: use a scratch one.

    python bench/bench_load.py [--duration 60] [--clients 16] [--postgres-url URL]
    python bench/bench_load.py --duration 10 --clients 8 --only sqlite           # quick run
    python bench/bench_load.py --duration 10 --clients 8 --endpoint /api/v1/companies/5

--endpoint loads one GET path instead of the mix (no background import). Servers are started on
127.0.0.1 ports from --port (default 8150) on a fresh database seeded with the demo data
(`kakehashi db upgrade`, `seed`, `embed`, `keys create`) and killed at the end. The load client
runs in its own process (httpx, asyncio, one connection per client), so the figures say what
the server does, and the hello-world run shows what the client and the loopback allow.
Every request started in the measured window counts, however long it takes; every non-2xx
answer, transport error and 30 s timeout is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from import_common import reset_postgres
from make_import_files import write_sam_csv

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from app.cli import main; main()"]

# (kind, weight in percent); 90% reads, 10% writes.
MIX: list[tuple[str, int]] = [
    ("get_company", 20),
    ("get_solicitation", 20),
    ("list_companies", 15),
    ("list_solicitations", 20),
    ("solicitation_matches", 10),
    ("company_matches", 5),
    ("patch_company_keywords", 4),
    ("patch_solicitation", 3),
    ("create_solicitation", 3),
]
KEYWORDS = ["GaN MMIC", "Ka-band", "hermetic packaging", "SiC power", "radar", "LiDAR", "CFRP"]


# --------------------------------------------------------------------------- hello-world app


def hello_app() -> Any:
    """The ceiling: FastAPI's hello world."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"message": "Hello World"}

    return app


# --------------------------------------------------------------------------- load client


class Workload:
    """Builds the requests of one kind; ids are read from the API before the clock starts."""

    def __init__(self, company_ids: list[int], solicitation_ids: list[int]) -> None:
        self.company_ids = company_ids
        self.solicitation_ids = solicitation_ids
        self.counter = 0

    def request(self, kind: str, rng: random.Random) -> tuple[str, str, Any]:
        """(method, path, json body or None) for one request of this kind."""
        company = rng.choice(self.company_ids)
        solicitation = rng.choice(self.solicitation_ids)
        if kind == "get_company":
            return "GET", f"/api/v1/companies/{company}", None
        if kind == "get_solicitation":
            return "GET", f"/api/v1/solicitations/{solicitation}", None
        if kind == "list_companies":
            return "GET", f"/api/v1/companies?limit=20&offset={rng.randrange(0, 40)}", None
        if kind == "list_solicitations":
            return "GET", "/api/v1/solicitations?limit=20", None
        if kind == "solicitation_matches":
            return "GET", f"/api/v1/solicitations/{solicitation}/matches?limit=10", None
        if kind == "company_matches":
            return "GET", f"/api/v1/companies/{company}/matches?limit=10", None
        body: dict[str, Any]
        if kind == "patch_company_keywords":
            body = {"keywords": rng.sample(KEYWORDS, 3)}
            return "PATCH", f"/api/v1/companies/{company}", body
        if kind == "patch_solicitation":
            body = {"place_of_performance": f"Building {rng.randrange(1, 99)}"}
            return "PATCH", f"/api/v1/solicitations/{solicitation}", body
        if kind == "create_solicitation":
            self.counter += 1
            body = {
                "notice_id": f"LOAD-{os.getpid()}-{self.counter}-{rng.randrange(10**9)}",
                "title": "Load test prototype for resilient space domain awareness sensors",
                "description": "Prototype and demonstrate passive RF sensing for space domain "
                "awareness, with a path to production within two years.",
                "technology_areas": [],
                "response_deadline": "2030-01-15T17:00:00Z",
            }
            return "POST", "/api/v1/solicitations", body
        raise ValueError(kind)


async def client_main(args: argparse.Namespace) -> dict[str, Any]:
    """Run the closed loop and return raw latencies per kind."""
    import httpx

    headers = {"Authorization": f"Bearer {args.key}"} if args.key else {}
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them, so a
    # request never races the server's close.
    limits = httpx.Limits(
        max_connections=args.clients, max_keepalive_connections=args.clients, keepalive_expiry=4
    )
    async with httpx.AsyncClient(
        base_url=args.url, headers=headers, limits=limits, timeout=30
    ) as client:
        if args.endpoint:
            mix = [("endpoint", 100)]
            workload = None
        else:
            mix = MIX
            ids = json.loads(Path(args.ids).read_text())
            workload = Workload(ids["companies"], ids["solicitations"])
        kinds = [k for k, _ in mix]
        weights = [w for _, w in mix]
        latencies: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        samples: list[str] = []
        warmup_end = time.perf_counter() + args.warmup
        end = warmup_end + args.duration

        async def one_client(seed: int) -> None:
            rng = random.Random(seed)
            while True:
                kind = rng.choices(kinds, weights)[0]
                if workload is None:
                    method, path, body = "GET", args.endpoint, None
                else:
                    method, path, body = workload.request(kind, rng)
                start = time.perf_counter()
                if start >= end:
                    return
                try:
                    response = await client.request(method, path, json=body)
                    ok = response.status_code < 400
                    why = f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, why = False, repr(exc)
                done = time.perf_counter()
                if start < warmup_end:
                    continue
                # A request started in the window counts however long it took, so a stall
                # shows in p99 and its error in the count.
                latencies[kind].append(done - start)
                if not ok:
                    errors[kind] += 1
                    if len(samples) < 5:
                        samples.append(f"{method} {path}: {why}")

        await asyncio.gather(*(one_client(args.seed + i) for i in range(args.clients)))
    return {
        "duration": args.duration,
        "latencies": latencies,
        "errors": errors,
        "samples": samples,
    }


# --------------------------------------------------------------------------- orchestration


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by the server and its worker processes."""
    import psutil

    process = psutil.Process(server.pid)
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def run_client(
    url: str,
    key: str | None,
    args: argparse.Namespace,
    ids: str | None = None,
    server: subprocess.Popen[bytes] | None = None,
) -> dict[str, Any]:
    """Run the load client in its own process; return its result, with the server's CPU
    time per request (steadier than requests/s on a shared machine)."""
    command = [
        sys.executable,
        __file__,
        "_client",
        "--url",
        url,
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--clients",
        str(args.clients),
        "--seed",
        str(args.seed),
    ]
    if key:
        command += ["--key", key]
    if ids:
        command += ["--ids", ids]
    if args.endpoint:
        command += ["--endpoint", args.endpoint]
    timeout = args.duration + args.warmup + 120
    before = server_cpu(server) if server else 0.0
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)
    result: dict[str, Any] = json.loads(output.stdout)
    if server:
        # Counted over warm-up and measured window alike; requests of the warm-up are not
        # counted, so scale by the measured share of the time.
        share = args.duration / (args.duration + args.warmup)
        requests = sum(len(v) for v in result["latencies"].values())
        result["cpu_ms"] = 1000 * (server_cpu(server) - before) * share / max(requests, 1)
    return result


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Poll until the server answers (or fail when it died or took too long)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on {url} did not start in {timeout:.0f} s")


def start_server(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server in its own process group (so that --workers children die with it)."""
    with log.open("wb") as handle:
        return subprocess.Popen(
            command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def prepare_database(env: dict[str, str]) -> str:
    """Migrate, seed, embed the demo data and create a platform admin key; return the key."""
    for step in (["db", "upgrade"], ["seed"], ["embed"], ["embed"], ["embed"]):
        done = subprocess.run([*CLI, *step], env=env, capture_output=True, text=True)
        if done.returncode == 0 and step == ["embed"]:
            break
        if done.returncode:
            # `embed` commits as it goes and may be rerun; say so when it needed that.
            last = [line for line in done.stderr.splitlines() if "Error" in line][-1:] or [""]
            print(f"  note: kakehashi {' '.join(step)} failed ({last[0][:200]})")
            if step != ["embed"]:
                raise SystemExit(done.stderr[-3000:])
    else:
        raise SystemExit("kakehashi embed failed three times")
    created = subprocess.run(
        [*CLI, "keys", "create", "--org", "pichtr", "--role", "admin", "--label", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return created.stdout.strip().splitlines()[-1]


def busy_worker(url: str, key: str, rows: int, workdir: Path) -> int:
    """Queue a background import of `rows` generated solicitations; return the run id."""
    import httpx

    csv_path = workdir / "load.csv"
    write_sam_csv(csv_path, rows=rows)
    with csv_path.open("rb") as handle:
        answer = httpx.post(
            f"{url}/api/v1/imports/background",
            headers={"Authorization": f"Bearer {key}"},
            data={"kind": "solicitations"},
            files={"file": ("load.csv", handle, "text/csv")},
            timeout=60,
        )
    answer.raise_for_status()
    return int(answer.json()["id"])


def job_state(url: str, key: str, run_id: int | None) -> str:
    """Queued jobs and the import's progress, to show the worker was busy throughout."""
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    health = httpx.get(f"{url}/api/v1/health", timeout=30).json()
    parts = [f"jobs {health.get('jobs')}"]
    if run_id is not None:
        run = httpx.get(f"{url}/api/v1/imports/{run_id}", headers=headers, timeout=30).json()
        parts.append(f"import run {run_id}: {run.get('status')}, {run.get('counts')}")
    return "; ".join(parts)


def demo_ids(url: str, key: str, workdir: Path) -> str:
    """Write the ids of the demo records (read before any load) to a file for the client."""
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    ids = {}
    for name, params in (("companies", {}), ("solicitations", {"status": "open"})):
        page = httpx.get(
            f"{url}/api/v1/{name}", params={**params, "limit": 100}, headers=headers, timeout=30
        )
        page.raise_for_status()
        ids[name] = [item["id"] for item in page.json()["items"]]
    target = workdir / "ids.json"
    target.write_text(json.dumps(ids))
    return str(target)


class Hello:
    """The hello-world app with uvicorn's defaults, kept up through the run so that its figure
    is taken right before each Kakehashi figure (the machine may be shared)."""

    def __init__(self, args: argparse.Namespace, port: int, workdir: Path) -> None:
        command = [sys.executable, "-m", "uvicorn", "--factory", "bench_load:hello_app"]
        command += ["--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port)]
        self.args = argparse.Namespace(**{**vars(args), "endpoint": "/"})
        self.url = f"http://127.0.0.1:{port}"
        self.server = start_server(command, dict(os.environ), workdir / "hello.log")
        wait_ready(self.url + "/", self.server)

    def measure(self) -> dict[str, Any]:
        """Load the hello-world app with the same client and settings."""
        return run_client(self.url, None, self.args, server=self.server)

    def stop(self) -> None:
        """Stop the hello-world server."""
        stop_server(self.server)


Measured = list[tuple[str, dict[str, Any], dict[str, Any]]]


def measure_kakehashi(
    name: str, args: argparse.Namespace, env: dict[str, str], port: int, workers: int, hello: Hello
) -> Measured:
    """Prepare a database, serve it, load it (the mix, or each endpoint in turn) right after
    a hello-world run, stop it. Returns (what, result, hello-world result) triples."""
    import httpx

    workdir = Path(env["BENCH_WORKDIR"])
    key = prepare_database(env)
    url = f"http://127.0.0.1:{port}"
    command = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    server = start_server(command, env, workdir / f"{name}.log")
    try:
        wait_ready(f"{url}/api/v1/health", server)
        time.sleep(args.settle)  # the model loads in the background after start-up
        if args.endpoint:
            results = []
            for endpoint in args.endpoint:
                one = argparse.Namespace(**{**vars(args), "endpoint": endpoint})
                ceiling = hello.measure()
                results.append(
                    (f"GET {endpoint}", run_client(url, key, one, server=server), ceiling)
                )
            return results
        ids = demo_ids(url, key, workdir)
        ceiling = hello.measure()
        run_id = None
        if args.import_rows:
            run_id = busy_worker(url, key, args.import_rows, workdir)
            time.sleep(1)
        result = run_client(url, key, args, ids, server)
        try:
            result["note"] = job_state(url, key, run_id)
        except httpx.HTTPError as exc:
            result["note"] = f"job state not read: {exc!r}"
        return [("mix", result, ceiling)]
    finally:
        stop_server(server)


def summarize(name: str, result: dict[str, Any], ceiling: float | None) -> float:
    """Print one target's table; return its requests/s."""
    latencies: dict[str, list[float]] = result["latencies"]
    errors: dict[str, int] = result["errors"]
    total = sum(len(v) for v in latencies.values())
    rate = total / result["duration"]
    error_count = sum(errors.values())
    ratio = f" ({rate / ceiling:.1%} of hello-world)" if ceiling else ""
    cpu = f", server CPU {result['cpu_ms']:.2f} ms/request" if "cpu_ms" in result else ""
    print(f"\n{name}: {rate:.0f} req/s{ratio}, {total} requests, {error_count} errors{cpu}")
    print(f"  {'kind':<24}{'count':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in sorted(latencies, key=lambda k: -len(latencies[k])):
        values = sorted(latencies[kind])
        p50 = values[len(values) // 2] * 1000
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
        print(
            f"  {kind:<24}{len(values):>8}{len(values) / result['duration']:>9.1f}"
            f"{p50:>9.1f}{p99:>9.1f}{errors.get(kind, 0):>8}"
        )
    for sample in result.get("samples", []):
        print(f"  error: {sample}")
    if result.get("note"):
        print(f"  worker: {result['note']}")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="measured seconds per target")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--port", type=int, default=8150, help="first of three loopback ports")
    parser.add_argument("--postgres-url", help="scratch database (its schema is dropped!)")
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="skip the other backend")
    parser.add_argument(
        "--endpoint", action="append", help="load this GET path instead of the mix (repeatable)"
    )
    parser.add_argument("--import-rows", type=int, default=2000, help="background import size")
    parser.add_argument("--settle", type=float, default=5, help="seconds after start-up")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-bench-load-"))
    base_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "KAKEHASHI_LOG_LEVEL": "WARNING",
        "KAKEHASHI_CACHE_DIR": str(workdir / "cache"),
        "KAKEHASHI_UPLOAD_DIR": str(workdir / "uploads"),
        # Every client comes from one address with one key: the default limits would answer
        # most of the load with 429s. The benchmark measures the service, not the limiter.
        "KAKEHASHI_API_RATE_LIMIT_PER_KEY": "10000000/minute",
        "KAKEHASHI_API_RATE_LIMIT_PER_ADDRESS": "10000000/minute",
        "BENCH_WORKDIR": str(workdir),
    }
    what = f"endpoint {args.endpoint}" if args.endpoint else "mix (90% reads, 10% writes)"
    print(
        f"{what}; {args.clients} clients, {args.duration:.0f} s each; "
        f"{os.cpu_count()} CPUs; logs in {workdir}"
    )
    if args.only == "postgres" and not args.postgres_url:
        parser.error("--only postgres needs --postgres-url")
    results: Measured = []
    hello = Hello(args, args.port, workdir)
    try:
        if args.only != "postgres":
            env = {**base_env, "KAKEHASHI_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}"}
            label = "Kakehashi, SQLite, 1 process" + ("" if args.endpoint else ", job worker busy")
            for what, result, ceiling in measure_kakehashi(
                "sqlite", args, env, args.port + 1, 1, hello
            ):
                results.append((f"{label}: {what}", result, ceiling))
        if args.only != "sqlite" and args.postgres_url:
            reset_postgres(args.postgres_url)
            env = {**base_env, "KAKEHASHI_DATABASE_URL": args.postgres_url}
            label = f"Kakehashi, PostgreSQL, {args.pg_workers} processes"
            for what, result, ceiling in measure_kakehashi(
                "pg", args, env, args.port + 2, args.pg_workers, hello
            ):
                results.append((f"{label}: {what}", result, ceiling))
    finally:
        hello.stop()

    failed = 0
    rows = []
    for name, result, ceiling in results:
        rate = summarize("hello-world (uvicorn), just before", ceiling, None)
        ratio = summarize(name, result, rate) / rate
        rows.append((name, ratio, result.get("cpu_ms", 0.0), ceiling.get("cpu_ms", 0.0)))
        failed += sum(result["errors"].values())
    print("\nsummary: requests/s as a share of hello-world; server CPU per request")
    for name, ratio, cpu, hello_cpu in rows:
        print(f"  {ratio:6.1%}  {cpu:5.2f} ms (hello {hello_cpu:4.2f} ms)  {name}")
    return 1 if failed else 0


def client_entry() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("_client")
    parser.add_argument("--url", required=True)
    parser.add_argument("--key")
    parser.add_argument("--endpoint")
    parser.add_argument("--ids", help="JSON file of the company and solicitation ids to use")
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--warmup", type=float, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop  # the faster event loop, as uvicorn uses when installed
    except ImportError:
        print(json.dumps(asyncio.run(client_main(args))))
    else:
        print(json.dumps(uvloop.run(client_main(args))))
    return 0


if __name__ == "__main__":
    raise SystemExit(client_entry() if sys.argv[1:2] == ["_client"] else main())
