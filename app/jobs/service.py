"""Enqueue, claim and finish jobs; safe with several workers on PostgreSQL or SQLite.

A running job holds a lease: its row is locked by one worker (`locked_by`, `attempts`) and a
thread of that worker renews `locked_at` every quarter of `job_lock_seconds` while the handler
runs. A lease not renewed for `job_lock_seconds` (60 s by default) belongs to a dead worker,
and the job is handed out again, within about a minute of a kill -9. A live job is never taken
for a dead one however long it runs; and should a worker lose its lease all the same (a
database out of reach for a minute), its next commit that calls `heartbeat` fails, so two
workers never both write for one job.
"""

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Update, func, select, update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import utcnow
from app.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


class LeaseLost(RuntimeError):
    """Another worker took this job over (this one looked dead); stop without writing."""


@dataclass(frozen=True)
class Lease:
    """The running job's claim: which job, which worker, which attempt."""

    job_id: int
    worker: str
    attempt: int
    # Set when this attempt took the job over from a worker that stopped renewing its lease.
    took_over: str | None = None


# How a takeover is recorded in the job's last_error.
TAKEN_OVER = "taken over: "
_current: ContextVar[Lease | None] = ContextVar("kakehashi_current_job", default=None)


def stale_after() -> timedelta:
    """How old a lease may get before its worker counts as dead."""
    return timedelta(seconds=get_settings().job_lock_seconds)


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind`."""

    def register(func_: Handler) -> Handler:
        HANDLERS[kind] = func_
        return func_

    return register


def enqueue(
    session: Session, *, kind: str, payload: dict[str, Any], dedupe_key: str | None = None
) -> Job:
    """Queue a job in the caller's transaction, unless the same one is already waiting."""
    if dedupe_key is not None:
        waiting = session.scalar(
            select(Job).where(Job.dedupe_key == dedupe_key, Job.status == JobStatus.QUEUED)
        )
        if waiting is not None:
            return waiting
    job = Job(kind=kind, payload=payload, dedupe_key=dedupe_key)
    session.add(job)
    session.flush()
    return job


def worker_id() -> str:
    """A name for this worker process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(session: Session, *, worker: str, kinds: list[str] | None = None) -> Job | None:
    """Take the oldest runnable job; a conditional UPDATE makes two workers never share one."""
    now = utcnow()
    stale = now - stale_after()
    for _ in range(5):
        query = select(Job.id, Job.status, Job.locked_by, Job.locked_at).where(
            ((Job.status == JobStatus.QUEUED) & (Job.run_after <= now))
            | ((Job.status == JobStatus.RUNNING) & (Job.locked_at < stale))
        )
        if kinds:
            query = query.where(Job.kind.in_(kinds))
        found = session.execute(query.order_by(Job.run_after, Job.id).limit(1)).first()
        if found is None:
            session.commit()
            return None
        job_id, status, locked_by, locked_at = found
        values: dict[str, Any] = {
            "status": JobStatus.RUNNING,
            "locked_by": worker,
            "locked_at": now,
            "attempts": Job.attempts + 1,
        }
        if status is JobStatus.RUNNING:
            values["last_error"] = (
                f"{TAKEN_OVER}worker {locked_by} stopped (its lease was last renewed at "
                f"{locked_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
        taken = session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
                (Job.locked_at.is_(None)) | (Job.locked_at < stale),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            job = session.get(Job, job_id, populate_existing=True)
            # End the reading transaction: on SQLite it holds the write lock, which the lease
            # thread (and everyone else) needs while the handler runs.
            session.commit()
            return job
    return None


def _renewal(lease: Lease) -> Update:
    """Move the lease's lock time forward, only while this worker still holds it."""
    return (
        update(Job)
        .where(
            Job.id == lease.job_id,
            Job.status == JobStatus.RUNNING,
            Job.locked_by == lease.worker,
            Job.attempts == lease.attempt,
        )
        .values(locked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


class _Renewer:
    """A thread renewing one lease every `period` seconds until stopped."""

    def __init__(self, bind: Engine, lease: Lease, period: float) -> None:
        self._bind = bind
        self._lease = lease
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"kakehashi-lease-{lease.job_id}", daemon=True
        )

    def start(self) -> None:
        """Start renewing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (a renewal waiting for SQLite's write lock ends on its own)."""
        self._stop.set()
        self._thread.join(timeout=1)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                with Session(self._bind) as session:
                    renewed = session.execute(_renewal(self._lease)).rowcount  # type: ignore[attr-defined]
                    session.commit()
            except Exception:
                log.warning(
                    "could not renew the lease of job %s", self._lease.job_id, exc_info=True
                )
                continue
            if renewed == 0 and not self._stop.is_set():
                # The job's next heartbeat() fails and stops it; nothing more to do here.
                log.error("job %s was taken over by another worker", self._lease.job_id)
                return


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def run_one(session: Session, *, worker: str, kinds: list[str] | None = None) -> Job | None:
    """Claim one job and run it, renewing its lease meanwhile; failures are retried with
    backoff, then marked failed."""
    job = claim(session, worker=worker, kinds=kinds)
    if job is None:
        return None
    job_id, kind, payload, last_error = job.id, job.kind, job.payload, job.last_error or ""
    lease = Lease(
        job_id,
        worker,
        job.attempts,
        took_over=last_error.removeprefix(TAKEN_OVER)
        if last_error.startswith(TAKEN_OVER)
        else None,
    )
    renewer = _Renewer(_engine_of(session), lease, get_settings().job_lock_seconds / 4)
    running = _current.set(lease)
    renewer.start()
    try:
        HANDLERS[kind](session, payload)
        renewer.stop()  # before the final write, so the two never contend for the lock
        session.flush()
        heartbeat(session)  # fails if another worker took the job over meanwhile
        job.status = JobStatus.DONE
        job.finished_at = utcnow()
        job.last_error = None
        session.commit()
    except LeaseLost:
        session.rollback()
        log.warning("job %s (%s): another worker took it over; stopped", job_id, kind)
    except Exception:
        session.rollback()
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        if job.locked_by == worker and job.attempts == lease.attempt:
            job.last_error = traceback.format_exc(limit=5)[-4000:]
            if job.attempts >= job.max_attempts:
                job.status = JobStatus.FAILED
                job.finished_at = utcnow()
            else:
                job.status = JobStatus.QUEUED
                job.run_after = utcnow() + timedelta(seconds=2**job.attempts)
            job.locked_at = None
            session.commit()
            log.warning("job %s (%s) failed, attempt %s", job.id, job.kind, job.attempts)
        else:
            log.warning(
                "job %s (%s) failed after another worker took it over; left to that worker",
                job_id,
                kind,
                exc_info=True,
            )
    finally:
        renewer.stop()
        _current.reset(running)
    return job


def current() -> Lease | None:
    """The lease of the job this thread is running, if any."""
    return _current.get()


def heartbeat(session: Session) -> None:
    """Renew the running job's lease in the caller's transaction, so the work it commits and
    the lease go together; raises LeaseLost when another worker holds the job now. A no-op
    outside a job."""
    lease = _current.get()
    if lease is None:
        return
    renewed = session.execute(_renewal(lease)).rowcount  # type: ignore[attr-defined]
    if renewed == 0:
        raise LeaseLost(f"job {lease.job_id} was taken over by another worker")


def counts(session: Session) -> dict[str, int]:
    """Number of jobs per status."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status.value: n for status, n in rows}
