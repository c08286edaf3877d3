"""The job queue's leases: a live job keeps its lease however long it runs, a dead worker's
job is handed out again once its lease runs out, and a worker that lost its lease writes
nothing more."""

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import get_sessionmaker, utcnow
from app.jobs import service as jobs
from app.jobs.models import Job, JobStatus

LOCK_SECONDS = 2.0
seen_by_other_worker: list[Job | None] = []
leases: list[jobs.Lease | None] = []


@pytest.fixture
def short_leases(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leases of 2 s, renewed every 0.5 s, so the tests need not wait a minute."""
    monkeypatch.setenv("KAKEHASHI_JOB_LOCK_SECONDS", str(LOCK_SECONDS))
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("KAKEHASHI_JOB_LOCK_SECONDS")
    get_settings.cache_clear()


def _long_job(session: Session, payload: dict[str, Any]) -> None:
    # Runs for twice the lease without committing anything; the lease thread keeps it alive.
    deadline = time.monotonic() + 2 * LOCK_SECONDS + 1
    while time.monotonic() < deadline:
        with get_sessionmaker()() as other:
            seen_by_other_worker.append(jobs.claim(other, worker="other"))
        time.sleep(0.3)


def _stale_job(session: Session, payload: dict[str, Any]) -> None:
    # As if this worker had stalled past its lease and another had taken the job over.
    session.execute(
        update(Job)
        .where(Job.id == payload["id"])
        .values(locked_at=utcnow() - timedelta(seconds=LOCK_SECONDS + 1))
    )
    session.commit()
    with get_sessionmaker()() as other:
        taken = jobs.claim(other, worker="other")
        assert taken is not None and taken.locked_by == "other"
        seen_by_other_worker.append(taken)
    jobs.heartbeat(session)  # the stalled worker's next commit: refused
    session.commit()


def _record_lease(session: Session, payload: dict[str, Any]) -> None:
    leases.append(jobs.current())


jobs.HANDLERS["test_long_job"] = _long_job
jobs.HANDLERS["test_stale_job"] = _stale_job
jobs.HANDLERS["test_record_lease"] = _record_lease


def _queue(session: Session, kind: str) -> Job:
    job = jobs.enqueue(session, kind=kind, payload={})
    job.payload = {"id": job.id}
    session.commit()
    return job


def test_a_live_long_job_keeps_its_lease(short_leases: None) -> None:
    seen_by_other_worker.clear()
    with get_sessionmaker()() as session:
        job = _queue(session, "test_long_job")
        done = jobs.run_one(session, worker="first")
    assert done is not None and done.id == job.id and done.status is JobStatus.DONE
    assert len(seen_by_other_worker) >= 10
    assert seen_by_other_worker == [None] * len(seen_by_other_worker)
    assert done.attempts == 1 and done.last_error is None


def test_a_dead_workers_job_is_taken_once_its_lease_runs_out(short_leases: None) -> None:
    leases.clear()
    with get_sessionmaker()() as session:
        job = _queue(session, "test_record_lease")
        # A worker claims it and dies at once (kill -9): nothing renews the lease.
        assert jobs.claim(session, worker="dead") is not None
        assert jobs.claim(session, worker="other") is None  # still fresh
        started = time.monotonic()
        while (done := jobs.run_one(session, worker="second")) is None:
            assert time.monotonic() - started < LOCK_SECONDS + 3
            time.sleep(0.2)
        waited = time.monotonic() - started
    assert done.id == job.id and done.status is JobStatus.DONE and done.attempts == 2
    assert waited >= LOCK_SECONDS - 0.5
    lease = leases[0]
    assert lease is not None and lease.attempt == 2 and lease.worker == "second"
    assert lease.took_over is not None and "worker dead stopped" in lease.took_over


def test_a_worker_that_lost_its_lease_writes_nothing_more(short_leases: None) -> None:
    seen_by_other_worker.clear()
    with get_sessionmaker()() as session:
        job_id = _queue(session, "test_stale_job").id
        jobs.run_one(session, worker="first")
    assert len(seen_by_other_worker) == 1
    with get_sessionmaker()() as session:
        stored = session.get(Job, job_id)
        # The job is the other worker's: still running there, not failed or retried by us.
        assert stored is not None and stored.status is JobStatus.RUNNING
        assert stored.locked_by == "other" and stored.attempts == 2
        assert stored.last_error is not None and stored.last_error.startswith(jobs.TAKEN_OVER)


def test_outside_a_job_a_heartbeat_does_nothing(database_url: str) -> None:
    with get_sessionmaker()() as session:
        jobs.heartbeat(session)
        assert jobs.current() is None
