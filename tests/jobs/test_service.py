"""The job queue: a long job that keeps its heartbeat is not handed to a second worker."""

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import get_sessionmaker, utcnow
from app.jobs import service as jobs
from app.jobs.models import Job, JobStatus

seen_by_other_worker: list[Job | None] = []


def _long_job(session: Session, payload: dict[str, Any]) -> None:
    # As if the job had been running for longer than a stale lock allows.
    session.execute(
        update(Job)
        .where(Job.id == payload["id"])
        .values(locked_at=utcnow() - jobs.STALE_LOCK - timedelta(minutes=1))
    )
    session.commit()
    if payload["beat"]:
        jobs.heartbeat(session)
        session.commit()
    with get_sessionmaker()() as other:
        seen_by_other_worker.append(jobs.claim(other, worker="other"))


jobs.HANDLERS["test_long_job"] = _long_job


def test_heartbeat_keeps_a_long_job_from_being_taken_as_dead(database_url: str) -> None:
    with get_sessionmaker()() as session:
        for beat in (True, False):
            seen_by_other_worker.clear()
            job = jobs.enqueue(session, kind="test_long_job", payload={"beat": beat})
            job.payload = {"beat": beat, "id": job.id}
            session.commit()
            done = jobs.run_one(session, worker="first")
            assert done is not None and done.id == job.id and done.status is JobStatus.DONE
            taken = seen_by_other_worker[0]
            if beat:
                assert taken is None
            else:  # without a heartbeat the other worker takes it over as a dead worker's job
                assert taken is not None and taken.id == job.id and taken.locked_by == "other"
    # Outside a job, a heartbeat does nothing.
    with get_sessionmaker()() as session:
        jobs.heartbeat(session)
