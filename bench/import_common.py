"""What the benchmarks share: a generated extract, the CLI, peak-memory sampling, and a scratch
PostgreSQL schema reset."""

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
KAKEHASHI = str(ROOT / ".venv/bin/kakehashi")


class PeakRss:
    """Sample a process's resident memory (MiB) until stopped."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema of the scratch PostgreSQL database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def generated_extract(rows: int) -> tuple[Path, Path]:
    """A fresh work directory holding a generated SAM.gov-style CSV of `rows` rows."""
    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-bench-"))
    csv_path = workdir / "sam.csv"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench/make_import_files.py"),
            str(csv_path),
            "--rows",
            str(rows),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return workdir, csv_path


def kakehashi(*args: str, env: dict[str, str], stdin: str | None = None) -> None:
    """Run a set-up command quietly; fail loudly if it fails."""
    subprocess.run(
        [KAKEHASHI, *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed(
    args: list[str], env: dict[str, str], timeout: float | None = None
) -> tuple[float, float, int]:
    """Run a kakehashi command; return (seconds, peak RSS in MiB, exit code). A timeout stops
    it the way Ctrl-C would, as an interrupted import."""
    return timed_process([KAKEHASHI, *args], env, timeout)


def timed_process(
    argv: list[str], env: dict[str, str], timeout: float | None = None
) -> tuple[float, float, int]:
    """Run any command as `timed` runs a kakehashi one."""
    start = time.perf_counter()
    process = psutil.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    rss = PeakRss(process)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()
        out, _ = process.communicate()
    peak = rss.stop()
    print("   ", (out or "").strip().splitlines()[-1] if out and out.strip() else "(interrupted)")
    return time.perf_counter() - start, peak, process.returncode
