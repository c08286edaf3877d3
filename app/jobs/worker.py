"""Running queued jobs: a thread inside the API process, or `kakehashi worker`."""

import logging
import threading
import time

from app.db import get_sessionmaker
from app.jobs import service
from app.reports.scheduler import ReportScheduler

log = logging.getLogger(__name__)


def register_handlers() -> None:
    """Import the modules that register job handlers."""
    import app.embeddings.jobs
    import app.imports.jobs  # noqa: F401


def drain(*, max_jobs: int | None = None, kinds: list[str] | None = None) -> int:
    """Run queued jobs until none is runnable (or max_jobs ran); returns how many ran."""
    register_handlers()
    worker = service.worker_id()
    ran = 0
    session = get_sessionmaker()()
    try:
        while max_jobs is None or ran < max_jobs:
            if service.run_one(session, worker=worker, kinds=kinds) is None:
                break
            ran += 1
    finally:
        session.close()
    return ran


class BackgroundWorker:
    """One daemon thread polling the jobs table, and the nightly reports' scheduler."""

    def __init__(self, *, poll_seconds: float = 1.0) -> None:
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reports: ReportScheduler | None = None

    def start(self) -> None:
        """Start polling and scheduling the report checks."""
        self._thread = threading.Thread(target=self._loop, name="kakehashi-worker", daemon=True)
        self._thread.start()
        self._reports = ReportScheduler()
        self._reports.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its current job and stop; stop the report checks."""
        self._stop.set()
        if self._reports is not None:
            self._reports.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = drain(max_jobs=10)
            except Exception:
                log.exception("job worker loop failed; retrying")
                ran = 0
            if ran == 0:
                self._stop.wait(self.poll_seconds)
        log.info("job worker stopped")


def run_forever(*, poll_seconds: float = 1.0) -> None:
    """The `kakehashi worker` loop (jobs, and the nightly reports' checks); Ctrl-C stops it
    between jobs."""
    reports = ReportScheduler()
    reports.start()
    try:
        while True:
            if drain(max_jobs=50) == 0:
                time.sleep(poll_seconds)
    except KeyboardInterrupt:
        log.info("worker interrupted")
    finally:
        reports.stop()
