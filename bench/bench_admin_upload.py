"""Admin upload benchmark: a generated SAM.gov-style CSV (default 100,000 rows) uploaded through
the admin form of a running server, against the same file imported by the CLI, side by side.

Prints how long the browser waits for the form to answer, how long the import job takes, the
progress the run page showed on the way, and peak memory of the server and of the CLI.

    .venv/bin/python bench/bench_admin_upload.py [--rows 100000]
"""

import argparse
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import psutil
from import_common import KAKEHASHI, PeakRss, generated_extract, kakehashi, timed

PASSWORD = "benchmark passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def setup(env: dict[str, str]) -> None:
    """Migrate a fresh database and create the organization and a user."""
    kakehashi("db", "upgrade", env=env)
    kakehashi("orgs", "create", "bench", "--name", "Bench", "--side", "us", env=env)
    kakehashi(
        "users",
        "create",
        "bench",
        "--org",
        "bench",
        "--password-stdin",
        env=env,
        stdin=PASSWORD + "\n",
    )


def admin_upload(csv_path: Path, env: dict[str, str]) -> dict[str, object]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = psutil.Popen(
        [KAKEHASHI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/api/v1/health")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            # The server loads the model in the background; let that settle before measuring.
            time.sleep(10)
            rss = PeakRss(server)
            token = CSRF.search(client.get("/admin/login").text).group(1)
            client.post(
                "/admin/login",
                data={"csrf_token": token, "username": "bench", "password": PASSWORD},
            )
            token = CSRF.search(client.get("/admin/imports").text).group(1)
            start = time.perf_counter()
            with csv_path.open("rb") as handle:
                answer = client.post(
                    "/admin/imports",
                    data={"csrf_token": token, "kind": "solicitations"},
                    files={"file": (csv_path.name, handle, "text/csv")},
                )
            answered = time.perf_counter() - start
            run_page = answer.headers["location"]
            progress: list[str] = []
            while True:
                response = client.get(run_page)
                page = response.text
                found = re.search(r'id="run-status">(\w+)<', page)
                if found is None:
                    raise RuntimeError(f"run page answered {response.status_code}: {page[:300]}")
                status = found.group(1)
                shown = re.search(r'<progress id="progress" max="100" value="(\d+)"', page)
                if shown and (not progress or progress[-1] != shown.group(1)):
                    progress.append(shown.group(1))
                if status in {"finished", "failed"}:
                    break
                time.sleep(1)
            finished = time.perf_counter() - start
            summary = " ".join(re.sub(r"<[^>]+>", " ", page.split('id="summary"')[1]).split())
            print("   ", status + ":", summary[:120])
            return {
                "answered": answered,
                "finished": finished,
                "peak": rss.stop(),
                "progress": progress,
                "status": status,
            }
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    workdir, csv_path = generated_extract(args.rows)
    size = csv_path.stat().st_size / 2**20
    print(f"file: {args.rows} rows, {size:.1f} MiB (cp1252)")
    base_env = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"}
    cli_env = {**base_env, "KAKEHASHI_DATABASE_URL": f"sqlite:///{workdir / 'cli.db'}"}
    web_env = {
        **base_env,
        "KAKEHASHI_DATABASE_URL": f"sqlite:///{workdir / 'web.db'}",
        "KAKEHASHI_UPLOAD_DIR": str(workdir / "uploads"),
        "KAKEHASHI_RUN_WORKER": "true",
    }
    setup(cli_env)
    setup(web_env)
    print("CLI import:")
    cli_seconds, cli_peak, _code = timed(
        ["import", "solicitations", str(csv_path), "--org", "bench"], cli_env
    )
    print("admin upload, imported by the server's job worker:")
    web = admin_upload(csv_path, web_env)
    job_seconds = float(web["finished"])
    print()
    print(f"{'run':48} {'seconds':>8} {'rows/s':>8} {'peak RSS MiB':>13}")
    print(f"{'CLI import':48} {cli_seconds:8.1f} {args.rows / cli_seconds:8.0f} {cli_peak:13.0f}")
    print(f"{'admin form answered (upload, save, head check)':48} {web['answered']:8.1f}")
    print(
        f"{'admin upload until the run page says ' + str(web['status']):48} {job_seconds:8.1f}"
        f" {args.rows / job_seconds:8.0f} {web['peak']:13.0f}"
    )
    print(f"admin upload time / CLI import time: {job_seconds / cli_seconds:.2f}")
    print(f"progress shown by the run page (%): {' '.join(web['progress'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
