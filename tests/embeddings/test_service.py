"""The embedding store: computed in the background, never recomputed for unchanged text,
recomputed when the text or the model changes."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import get_sessionmaker
from app.embeddings import service
from app.embeddings.jobs import embed_all
from app.embeddings.models import Embedding
from app.jobs.models import Job, JobStatus
from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload


def count_rows(model_id: str | None = None) -> int:
    with get_sessionmaker()() as session:
        query = select(func.count()).select_from(Embedding)
        if model_id:
            query = query.where(Embedding.model_id == model_id)
        return int(session.scalar(query) or 0)


def test_jobs_embed_new_and_changed_records(client: TestClient, keys: Keys) -> None:
    company = client.post(
        "/api/v1/companies", json=company_payload(), headers=keys.headers("jetro_analyst")
    ).json()
    client.post(
        "/api/v1/solicitations", json=solicitation_payload(), headers=keys.headers("pichtr_analyst")
    )
    # Saving twice before the worker runs still queues one job per record.
    client.patch(
        f"/api/v1/companies/{company['id']}",
        json={"keywords": ["Ka-band"]},
        headers=keys.headers("jetro_analyst"),
    )
    with get_sessionmaker()() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 2
    assert drain() == 2
    assert count_rows() == 2
    with get_sessionmaker()() as session:
        statuses = set(session.scalars(select(Job.status)))
    assert statuses == {JobStatus.DONE}
    # A change that does not touch the text does not queue work.
    client.patch(
        f"/api/v1/companies/{company['id']}",
        json={"website": None},
        headers=keys.headers("jetro_analyst"),
    )
    assert drain() == 0


def test_second_run_encodes_nothing_and_model_change_reencodes(
    client: TestClient, keys: Keys
) -> None:
    for i in range(3):
        client.post(
            "/api/v1/companies",
            json=company_payload(name=f"Partner {i}", corporate_number=None),
            headers=keys.headers("jetro_analyst"),
        )
    with get_sessionmaker()() as session:
        first = embed_all(session)
        assert first["company"].encoded == 3
        again = embed_all(session)
        assert again["company"].encoded == 0 and again["company"].unchanged == 3
        encoder = service.get_encoder()
        original = encoder.max_words
        try:
            # Another way of splitting documents is another vector space: all is redone.
            encoder.max_words = original // 2
            changed = embed_all(session, encoder=encoder)
            assert changed["company"].encoded == 3
            assert changed["company"].removed == 3
            assert count_rows(service.space_id(encoder)) == 3
        finally:
            encoder.max_words = original
    assert count_rows() == 3


def test_failed_job_is_retried_then_marked_failed(client: TestClient, keys: Keys) -> None:
    from app.jobs import service as jobs

    with get_sessionmaker()() as session:
        jobs.enqueue(session, kind="embed", payload={"entity": "planet", "id": 1})
        session.commit()
        job = jobs.run_one(session, worker="test")
        assert job is not None and job.status is JobStatus.QUEUED and job.attempts == 1
        assert "unknown entity" in (job.last_error or "")
        job.max_attempts = 1
        session.commit()
        assert jobs.claim(session, worker="test") is None  # backoff: not runnable yet
