"""Import benchmark: a generated SAM.gov-style CSV (default 100,000 rows) imported into a fresh
SQLite database (or KAKEHASHI_DATABASE_URL); prints time, rows/s and peak memory, then imports
the same file again (everything unchanged) and interrupts and resumes a third run.

    .venv/bin/python bench/bench_imports.py [--rows 100000]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def run(
    args: list[str], env: dict[str, str], timeout: float | None = None
) -> tuple[float, float, int]:
    """Run a kakehashi command; return (seconds, peak RSS in MiB, exit code)."""
    start = time.perf_counter()
    process = psutil.Popen(
        [str(ROOT / ".venv/bin/kakehashi"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            try:
                peak = max(peak, process.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()  # an interrupted import, as Ctrl-C would leave it
        out, _ = process.communicate()
    stop.set()
    sampler.join()
    print("   ", (out or "").strip().splitlines()[-1] if out and out.strip() else "(interrupted)")
    return time.perf_counter() - start, peak, process.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-bench-"))
    csv_path = workdir / "sam.csv"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench/make_import_files.py"),
            str(csv_path),
            "--rows",
            str(args.rows),
        ],
        check=True,
    )
    env = {
        **os.environ,
        "COLUMNS": "200",
        "KAKEHASHI_DATABASE_URL": os.environ.get(
            "KAKEHASHI_DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}"
        ),
    }
    subprocess.run(
        [str(ROOT / ".venv/bin/kakehashi"), "db", "upgrade"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            str(ROOT / ".venv/bin/kakehashi"),
            "orgs",
            "create",
            "bench",
            "--name",
            "Bench",
            "--side",
            "us",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    size = csv_path.stat().st_size / 2**20
    print(f"file: {args.rows} rows, {size:.1f} MiB (cp1252)")
    command = ["import", "solicitations", str(csv_path), "--org", "bench"]
    rows = []
    print("first import:")
    first = run(command, env)
    rows.append(("first import (all created)", *first))
    print("second import:")
    second = run(command, env)
    rows.append(("same file again (all unchanged)", *second))
    edited = workdir / "edited.csv"
    text = csv_path.read_bytes().replace(b"prototype", b"prototypes")
    edited.write_bytes(text)
    print("edited file, interrupted after 40% of the first run's time:")
    interrupted = run(
        ["import", "solicitations", str(edited), "--org", "bench"], env, timeout=first[0] * 0.4
    )
    rows.append(("edited file, interrupted", *interrupted))
    print("edited file, run again to finish:")
    resumed = run(["import", "solicitations", str(edited), "--org", "bench"], env)
    rows.append(("edited file, resumed", *resumed))
    print()
    print(f"{'run':34} {'seconds':>8} {'rows/s':>8} {'peak RSS MiB':>13} {'exit':>5}")
    for name, seconds, peak, code in rows:
        print(f"{name:34} {seconds:8.1f} {args.rows / seconds:8.0f} {peak:13.0f} {code:5d}")
    print(f"file size / peak RSS of the first import: {size / first[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
