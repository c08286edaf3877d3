"""Kill -9 a real `kakehashi worker` process in the middle of an import job: a second worker
takes the job over once its lease runs out and finishes it. Every row of the file is in the
database exactly once, and the run's counts cover the file exactly once over both attempts."""

import csv
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import get_sessionmaker, session_scope
from app.imports.models import ImportRun, ImportStatus
from app.solicitations.models import Solicitation
from tests.conftest import Keys
from tests.factories import queue_extract

ROOT = Path(__file__).resolve().parents[2]
ROWS = 4_000
LOCK_SECONDS = 3


def _write_extract(path: Path) -> list[str]:
    spec = importlib.util.spec_from_file_location(
        "make_import_files", ROOT / "bench" / "make_import_files.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_sam_csv(path, rows=ROWS, seed=5)
    with path.open(encoding="cp1252", newline="") as handle:
        return [row["NoticeId"] for row in csv.DictReader(handle)]


def _wait(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout} s")


def _run(run_id: int) -> ImportRun:
    with get_sessionmaker()() as session:
        run = session.get(ImportRun, run_id)
        assert run is not None
        session.expunge(run)
        return run


@pytest.fixture
def workers(database_url: str, upload_dir: Path, tmp_path: Path) -> Iterator[list[Any]]:
    """Start real `kakehashi worker` processes on the test database; kill what is left."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KAKEHASHI_DATABASE_URL": database_url,
        "KAKEHASHI_UPLOAD_DIR": str(upload_dir),
        "KAKEHASHI_JOB_LOCK_SECONDS": str(LOCK_SECONDS),
        "KAKEHASHI_WORKER_POLL_SECONDS": "0.2",
    }

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / "worker.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-c", "from app.cli import main; main()", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield [start]
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_kill_9_mid_import_loses_and_doubles_nothing(
    keys: Keys, workers: list[Any], tmp_path: Path
) -> None:
    start = workers[0]
    path = tmp_path / "extract.csv"
    notice_ids = _write_extract(path)
    run_id = queue_extract(path)

    first = start()
    _wait("committed chunk", lambda: _run(run_id).counts.get("rows", 0) >= 500, timeout=90)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    at_kill = _run(run_id)
    assert at_kill.status is ImportStatus.RUNNING, "the import ended before the kill"
    saved_rows = at_kill.counts["rows"]
    assert 500 <= saved_rows < ROWS and saved_rows % 500 == 0

    second = start()
    done = _wait(
        "finished run",
        lambda: (
            (r := _run(run_id)).status is not ImportStatus.RUNNING
            and r.status is not ImportStatus.QUEUED
            and r
        ),
        timeout=120,
    )
    took = time.monotonic() - killed_at
    second.kill()  # it goes on to embed what was imported; not needed here
    second.wait()

    assert done.status is ImportStatus.FINISHED, done.failure
    with session_scope() as session:
        stored = list(session.scalars(select(Solicitation.notice_id)))
        distinct = session.scalar(select(func.count(func.distinct(Solicitation.notice_id))))
    assert len(stored) == distinct == ROWS  # nothing doubled
    assert set(stored) == set(notice_ids)  # nothing lost
    counts = done.counts
    assert counts["rows"] == ROWS and counts["created"] == ROWS
    assert counts["updated"] == counts["unchanged"] == counts["rejected"] == 0
    [stop] = done.interruptions
    assert stop["attempt"] == 1 and stop["rows"] == saved_rows
    assert "stopped" in stop["reason"] and stop["resumed_at"]
    # Taken over once the 3 s lease ran out, not 15 minutes later.
    assert took < 60
