"""Enqueue, claim and finish jobs; safe with several workers on PostgreSQL or SQLite."""

import logging
import os
import socket
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}
# A job held longer than this by a worker that died is handed out again; long jobs call
# heartbeat() as they commit so they are not mistaken for dead ones.
STALE_LOCK = timedelta(minutes=15)
_current_job: ContextVar[int | None] = ContextVar("kakehashi_current_job", default=None)


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
    for _ in range(5):
        query = select(Job.id).where(
            ((Job.status == JobStatus.QUEUED) & (Job.run_after <= now))
            | ((Job.status == JobStatus.RUNNING) & (Job.locked_at < now - STALE_LOCK))
        )
        if kinds:
            query = query.where(Job.kind.in_(kinds))
        job_id = session.scalar(query.order_by(Job.run_after, Job.id).limit(1))
        if job_id is None:
            return None
        taken = session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
                (Job.locked_at.is_(None)) | (Job.locked_at < now - STALE_LOCK),
            )
            .values(
                status=JobStatus.RUNNING, locked_by=worker, locked_at=now, attempts=Job.attempts + 1
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return session.get(Job, job_id, populate_existing=True)
    return None


def run_one(session: Session, *, worker: str, kinds: list[str] | None = None) -> Job | None:
    """Claim one job and run it; failures are retried with backoff, then marked failed."""
    job = claim(session, worker=worker, kinds=kinds)
    if job is None:
        return None
    running = _current_job.set(job.id)
    try:
        HANDLERS[job.kind](session, job.payload)
        job.status = JobStatus.DONE
        job.finished_at = utcnow()
        job.last_error = None
        session.commit()
    except Exception:
        session.rollback()
        job = session.get(Job, job.id, populate_existing=True)
        assert job is not None
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
    finally:
        _current_job.reset(running)
    return job


def heartbeat(session: Session) -> None:
    """Renew the running job's lock in the caller's transaction; a no-op outside a job."""
    job_id = _current_job.get()
    if job_id is not None:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(locked_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def counts(session: Session) -> dict[str, int]:
    """Number of jobs per status."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status.value: n for status, n in rows}
